"""Jobs in the conductor: admission (compile, isolate, archive, ids), the catalog of compiled
scores, queries, fleets, clearing."""
