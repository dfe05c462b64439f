"""Checks of a target beyond its model: where its requests go, what they carry, and its provider's options.

A URL or credential that is wrong is refused before any request rather than sent and found wrong: a key
sent over plain HTTP is already disclosed, and a key with a pasted non-breaking space ends in an encoding
error that prints it. Messages name the environment variable, never its value.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from reconciler.errors import Problem
from reconciler.project.validation import validate_model
from reconciler.project.yamlsource import node_location
from reconciler.providers.registry import PROVIDERS
from reconciler.safetext import MIN_SECRET_LENGTH

ALLOW_HTTP_OPTION = "allow_insecure_http"


def is_loopback(host: str) -> bool:
    """This machine: `localhost` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str, *, allow_http: bool = False) -> str | None:
    """Why requests must not go to `url`, or None when it is a plain https:// base URL (or http:// to
    this machine, or anywhere with `allow_http`)."""
    if not url:
        return "is empty: give the API's base URL, such as https://api.example.com"
    if url != url.strip():
        return "has spaces or a line break around it"
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return "holds spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    scheme = parts.scheme.lower()
    if "://" not in url or not scheme:
        return "has no scheme: write it as https://host"
    if scheme not in ("https", "http"):
        return f"uses {scheme}://; the APIs are reached over https://"
    if "@" in parts.netloc:
        return "holds a user name or password; credentials come from `credentials:`, never from the URL"
    host = parts.hostname or ""
    if not host:
        return "names no host"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "has a query or fragment; give the API's base URL only"
    if port == 0:
        return "has port 0"
    if scheme == "http" and not allow_http and not is_loopback(host):
        return (
            f"uses http://, which sends the credentials to {host} unencrypted: use https://, or set "
            f"`{ALLOW_HTTP_OPTION}: true` on the target if that is really wanted"
        )
    return None


def credential_value_problem(value: str) -> str | None:
    """Why a credential value cannot be sent in a header, worded without showing any of it."""
    if len(value) < MIN_SECRET_LENGTH:  # and it could not be redacted from output either
        return f"is only {len(value)} character(s) long; API credentials are longer (a placeholder?)"
    if value != value.strip():
        return "has spaces or a line break before or after it"
    for position, char in enumerate(value, start=1):
        if not " " <= char <= "~":
            return (
                f"holds a character that is not printable ASCII at position {position} of {len(value)} "
                f"(U+{ord(char):04X}; {_likely_cause(char)})"
            )
    return None


def _likely_cause(char: str) -> str:
    if char < " " or char == "\x7f":
        return "a control character: a tab, a line break or a terminal escape copied with the key?"
    return "a pasted non-breaking space or curly quote?"


def unfit_variable(variable: str, problem: str) -> str:
    return f"environment variable {variable} {problem}; its value is not shown"


def target_problems(targets: Mapping[str, Any], raw: Any, shown_as: str) -> list[Problem]:
    """Each target's literal URL, and its `options` against its provider's options model."""
    problems = []
    for name, spec in targets.items():
        if isinstance(spec.url, str) and (problem := url_problem(spec.url, allow_http=spec.allow_insecure_http)):
            where = node_location(raw, ["targets", name, "url"], shown_as, at_value=True)
            problems.append(Problem(where, f"targets.{name}.url", f"the URL {problem}"))
        base = ["targets", name, "options"]
        _, found = validate_model(
            PROVIDERS[spec.provider].options_model, spec.options, root=raw, file=shown_as, base=base, field_prefix=base
        )
        problems.extend(found)
    return problems
