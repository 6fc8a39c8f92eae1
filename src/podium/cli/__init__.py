"""`podium …`: a thin client of the conductor. Each command's module is imported only when that
command runs, so that `podium status` starts fast."""
