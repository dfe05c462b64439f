"""Errors the reconciler reports to people: each says where it comes from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
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


class ApiError(ReconcilerError):
    """A vendor API answered with an error, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, method: str = "", path: str = "") -> None:
        self.status = status
        self.method = method
        self.path = path
        self.api_message = message
        where = f"{method} {path}".strip()
        code = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"{where}: {code}: {message}" if where else f"{code}: {message}")
