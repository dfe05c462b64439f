"""Errors the reconciler reports to people: each says where it comes from."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)  # one per rule, and more: kept small
class Location:
    """A place in a file, 1-based, as editors show it."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class ReconcilerError(Exception):
    """Base of every error the CLI turns into a clear message and exit code 1."""


@dataclass
class Problem:
    """One thing wrong with the input, located precisely."""

    location: Location
    field: str
    message: str

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.location}{field} {self.message}"


class InputError(ReconcilerError):
    """Bad config or manifests: carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class NameNotResolved(ReconcilerError):
    """A name a manifest gives (an app, a value) that the tenant does not hold exactly once."""


class ApiError(ReconcilerError):
    """A vendor API answered with an error, or could not be reached."""

    def __init__(
        self, message: str, *, status: int | None = None, method: str = "", path: str = "", code: str = ""
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.api_message = message
        where = f"{method} {path}".strip()
        # `code` says what came back when no status does (answers read, then found of the wrong shape).
        code = code or (f"HTTP {status}" if status is not None else "no answer")
        super().__init__(f"{where}: {code}: {message}" if where else f"{code}: {message}")


def at_target(target: str, exc: ApiError) -> ApiError:
    """The same error, saying which target it came from (where no heading of the output names it)."""
    named = ApiError(exc.api_message, status=exc.status, method=exc.method, path=exc.path)
    named.args = (f"target {target!r}: {exc}",)
    return named


def suggest(word: str, vocabulary: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix, or nothing when no name is close."""
    names = sorted(vocabulary)
    lowered = word.lower()
    # A name the word starts with (or that starts with the word) is the likeliest: 'geolocation' -> 'geo'.
    prefixes = [n for n in names if len(n) >= 3 and (lowered.startswith(n.lower()) or n.lower().startswith(lowered))]
    matches = sorted(prefixes, key=len, reverse=True)[:1] or difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""
