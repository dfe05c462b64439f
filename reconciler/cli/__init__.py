"""The command line: the only package that prints or exits."""

from reconciler.cli.main import main

__all__ = ["main"]
