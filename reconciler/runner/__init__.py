"""Wiring: workspaces, sessions and the flows every command runs."""
