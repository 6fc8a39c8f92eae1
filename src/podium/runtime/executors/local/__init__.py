"""Attempts on this machine: own session and process group, output and exit status in files."""
