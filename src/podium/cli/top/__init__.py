"""`podium top`: a live monitor of the conductor, its jobs, sheets and attempts' processes.

`model` (what is known, kept by the stream), `view` and `panes` (what to show), `plain` (one
frame as text), `actions` (what the keys ask of the conductor) are pure or nearly so and
never import Textual; `source` reads the conductor; `app` and `widgets` are the Textual
screen, imported only when the monitor runs live."""
