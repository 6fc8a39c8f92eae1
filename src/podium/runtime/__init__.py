"""The imperative shell: the engine's event loop, processes, validations, and the services
that the IPC methods call. Everything with a side effect lives here."""
