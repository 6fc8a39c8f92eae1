"""The pure core: what the conductor decides, with no I/O, no clock and no logging.

Everything here takes `now` as an argument and returns data; the runtime applies it.
"""
