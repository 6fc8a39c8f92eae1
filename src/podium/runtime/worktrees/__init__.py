"""Git isolation of a job's workspace, and workspace archives."""
