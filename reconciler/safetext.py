"""Every text the reconciler prints or writes passes through here: known secrets are redacted, and
characters that would make a terminal show something else than the text holds are escaped.

Secrets are registered when they are read (credential values from the environment, tokens as they
are fetched), with the forms they take on the wire and in error bodies that echo requests: the value
itself, base64 (Basic credentials are `base64(id:secret)`), and its JSON, URL and HTML escapes. A
proxy that echoes `Authorization` headers in an error page is then shown as `***`.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

REDACTED = "***"
# Shorter values are not redacted: replacing every "abc" would garble all output, and no API issues keys
# that short (the credential checks say so when they meet one).
MIN_SECRET_LENGTH = 8
# Control characters (but tab and line feed), DEL, C1 controls, lone surrogates and bidirectional
# overrides and isolates ("Trojan Source").
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
# The same in what the reconciler prints, but an escape sequence that only sets colours (SGR) passes,
# since the reconciler's own styling is made of those.
_UNSAFE = re.compile(r"\x1b\[[0-9;]*m|" + _CONTROLS.pattern)


class SecretRegistry:
    """The secret values known to this process, in every form they may appear in."""

    def __init__(self) -> None:
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def register(self, *values: str) -> None:
        """Secrets used together (a client id and its secret) are given together: their Basic form is known then."""
        values = tuple(value for value in values if len(value) >= MIN_SECRET_LENGTH)
        forms: set[str] = set()
        for value in values:
            forms |= _forms_of(value)
        for first in values:
            for second in values:
                if first is not second:
                    forms |= _forms_of(f"{first}:{second}", raw=False)
        forms = {form for form in forms if form}
        with self._lock:
            if forms - self._forms:
                self._forms |= forms
                self._pattern = None

    def clear(self) -> None:
        with self._lock:
            self._forms.clear()
            self._pattern = None

    def redact(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None:
            if not self._forms:
                return text
            with self._lock:  # longest first, so a value inside a longer form is not cut halfway
                ordered = sorted(self._forms, key=len, reverse=True)
                pattern = self._pattern = re.compile("|".join(map(re.escape, ordered)))
        return pattern.sub(REDACTED, text)


def _forms_of(value: str, *, raw: bool = True) -> set[str]:
    encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
    forms = {encoded, encoded.rstrip("=")}
    if raw:
        forms |= {value, json.dumps(value)[1:-1], quote(value, safe=""), html.escape(value)}
    return forms


SECRETS = SecretRegistry()


def register_secrets(values: Iterable[str]) -> None:
    SECRETS.register(*values)


def _escape(found: re.Match[str]) -> str:
    text = found.group()
    return text if len(text) > 1 else f"\\u{ord(text):04x}"


def escape_controls(text: str) -> str:
    """Text from outside (a server's error body) with every control character written as `\\uXXXX`,
    colour sequences included: only the reconciler's own output may style a terminal."""
    return _CONTROLS.sub(_escape, text)


def safe_text(text: str, *, escape: bool = True) -> str:
    """`text` with every known secret redacted and, with `escape`, misleading characters written as `\\uXXXX`."""
    text = SECRETS.redact(text)
    return _UNSAFE.sub(_escape, text) if escape else text


class SafeStream(io.TextIOBase):
    """A text stream (stdout, stderr, an output file) whose every write goes through `safe_text`."""

    def __init__(self, stream: TextIO, *, escape: bool = True) -> None:
        super().__init__()
        self.stream = stream
        self._escape = escape

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click probes for binary streams this way: refuse, stay a text stream
            raise TypeError("SafeStream takes text")
        self.stream.write(safe_text(text, escape=self._escape))
        return len(text)

    @property
    def buffer(self) -> _SafeBytes:
        """Where click writes bytes (shell completion does): decoded, then filtered like text."""
        return _SafeBytes(self)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")

    @property
    def name(self) -> Any:
        return getattr(self.stream, "name", None)

    def writable(self) -> bool:
        return True


class _SafeBytes(io.RawIOBase):
    def __init__(self, text: SafeStream) -> None:
        super().__init__()
        self.text = text

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.text.write(bytes(data).decode("utf-8", errors="replace"))
        return len(data)

    def flush(self) -> None:
        self.text.flush()


def write_text_file(path: Path, text: str, *, escape: bool = True) -> None:
    """Write a file the reconciler produces (saved plan, markdown, manifests): never with a secret in it."""
    path.write_text(safe_text(text, escape=escape), encoding="utf-8")
