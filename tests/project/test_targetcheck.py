"""URLs and credentials a target may use, and the one place every output passes through (secrets)."""

from __future__ import annotations

import base64
import io

import pytest

from reconciler.project.targetcheck import credential_value_problem, url_problem
from reconciler.safetext import REDACTED, SafeStream, SecretRegistry, escape_controls, safe_text


@pytest.mark.parametrize(
    "url",
    [
        "https://api.getprimo.com",
        "https://vault.example.com:8443/v1/",
        "http://127.0.0.1:8900/primo/x",
        "http://localhost:8900",
        "http://[::1]:8900/",
        "http://127.8.9.10",
    ],
)
def test_https_anywhere_and_http_to_this_machine_are_accepted(url: str) -> None:
    assert url_problem(url) is None


def test_plain_http_elsewhere_needs_the_target_to_ask_for_it() -> None:
    assert "allow_insecure_http: true" in (url_problem("http://gateway.internal") or "")
    assert url_problem("http://gateway.internal", allow_http=True) is None
    assert url_problem("http://user:pw@gateway.internal", allow_http=True) is not None  # never credentials in it


def test_credential_values_are_printable_ascii_without_surrounding_space() -> None:
    assert credential_value_problem("sk_live_0123456789abcdef") is None
    assert credential_value_problem("with inner space ok") is None
    assert "U+00A0" in (credential_value_problem("sk_live\u00a0012345") or "")
    assert "line break" in (credential_value_problem("sk_live_0123456789\n") or "")


def test_a_secret_is_redacted_in_its_raw_base64_basic_and_escaped_forms() -> None:
    registry = SecretRegistry()
    registry.register("client-id-0001", "client-secret-0002")
    basic = base64.b64encode(b"client-id-0001:client-secret-0002").decode()
    text = f"id client-id-0001, Basic {basic}, b64 {base64.b64encode(b'client-secret-0002').decode()}"
    assert registry.redact(text) == f"id {REDACTED}, Basic {REDACTED}, b64 {REDACTED}"
    registry.register('quote"and\\slash-0003')
    assert registry.redact('{"k": "quote\\"and\\\\slash-0003"}') == f'{{"k": "{REDACTED}"}}'


def test_short_values_are_not_redacted_since_they_would_garble_every_line() -> None:
    registry = SecretRegistry()
    registry.register("abc")
    assert registry.redact("abc abc") == "abc abc"


def test_output_escapes_control_characters_but_keeps_colours() -> None:
    assert safe_text("\x1b[31mred\x1b[0m") == "\x1b[31mred\x1b[0m"
    assert safe_text("a\x1b]0;title\x07b\u202ec\rd") == "a\\u001b]0;title\\u0007b\\u202ec\\u000dd"
    assert escape_controls("\x1b[31mred") == "\\u001b[31mred"  # a server's colours are not ours
    stream = io.StringIO()
    SafeStream(stream).write("tab\tand line\n\x00")
    assert stream.getvalue() == "tab\tand line\n\\u0000"
