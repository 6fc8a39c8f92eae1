"""Checks that run as processes or read files: a sheet's validations and its skip checks."""
