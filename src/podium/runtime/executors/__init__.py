"""Where attempts run, behind one interface: launch, signal, re-attach, collect."""
