"""The scores' notifications: what is sent, and on which channel."""
