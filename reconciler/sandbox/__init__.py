"""Emulators of the three vendor APIs, served over loopback HTTP."""
