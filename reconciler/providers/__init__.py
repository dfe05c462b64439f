"""Vendor providers; `registry.PROVIDERS` is the one list of their names."""
