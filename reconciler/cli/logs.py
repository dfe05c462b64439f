"""Log lines on stderr: what the HTTP layer reports, shown as the user asked.

Always: notices about a host that keeps failing or is slow (what a run is waiting for). With
`-v/--verbose` or `RECONCILER_LOG=debug`: one line per request as well (method, host, path, status,
time, retry). The records carry no header, body or query string, so no secret can reach them.
"""

from __future__ import annotations

import logging
import os

import click

LOGGER = "reconciler"
ENV = "RECONCILER_LOG"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class _Stderr(logging.Handler):
    """Writes through click at emit time, so a captured or redirected stderr gets the lines."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:  # a log line must never break the run
            self.handleError(record)


_handler = _Stderr()


def level_from_env() -> int:
    value = os.environ.get(ENV, "").strip().lower()
    if not value:
        return logging.INFO
    if value not in LEVELS:
        raise click.UsageError(f"{ENV}={value!r} is not one of {', '.join(LEVELS)}")
    return LEVELS[value]


def start(verbose: bool) -> None:
    """Show the project's log lines on stderr for this run (see `stop`)."""
    logger = logging.getLogger(LOGGER)
    level = logging.DEBUG if verbose else level_from_env()
    logger.setLevel(level)
    if _handler not in logger.handlers:
        logger.addHandler(_handler)


def be_verbose() -> None:
    """`-v` given after the command: one line per request from now on."""
    logging.getLogger(LOGGER).setLevel(logging.DEBUG)


def stop() -> None:
    logger = logging.getLogger(LOGGER)
    logger.removeHandler(_handler)
    logger.setLevel(logging.NOTSET)
