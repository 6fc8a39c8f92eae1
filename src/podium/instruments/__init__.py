"""Instruments: the command-line tools that do a sheet's work, and how to call them."""
