"""Runs one bad input through the real CLI, in-process, and checks the class it must end in.

Every case starts from the same small project (three targets, one per provider, at hosts that do not
exist) with one file replaced or added. No case may make a request: the HTTP transport is replaced by
one that records the attempt and fails, so "no request made" is measured, not assumed.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.http.pool import Origin, PooledTransport

CONFIG = b"""\
version: 1
targets:
  primo-test:
    provider: primo
    url: https://primo.example.test
    credentials:
      api_key: {env: PRIMO_API_KEY}
    prune: true
  vault-test:
    provider: vizivault
    url: https://vault.example.test
    credentials:
      api_key: {env: VAULT_API_KEY}
    prune: true
  onelogin-test:
    provider: onelogin
    url: https://acme.onelogin.example.test
    credentials:
      client_id: {env: ONELOGIN_CLIENT_ID}
      client_secret: {env: ONELOGIN_CLIENT_SECRET}
    prune: true
"""
ENV = {
    "PRIMO_API_KEY": "corpus-primo-key-0001",
    "VAULT_API_KEY": "corpus-vault-key-0002",
    "ONELOGIN_CLIENT_ID": "corpus-onelogin-id-0003",
    "ONELOGIN_CLIENT_SECRET": "corpus-onelogin-secret-0004",
}
GOOD_MANIFEST = b"""\
target: primo-test
rules:
  - type: MDM_ENROLLMENT
    nonCompliantStatus: [PENDING]
"""

# What a case must end in. Every class also means: exit code 1, no traceback, no request, within budget.
LOCATED = "located"  # every problem is one `error: file:line[:col] ...` line
REFUSED = "refused"  # one-line errors, not tied to a line of a file (a saved plan, the environment)
CLASSES = (LOCATED, REFUSED)


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # manifest | config | environment | discovery | plan
    expect: str  # one of CLASSES
    message: str  # a fragment the error must contain
    files: dict[str, bytes] = field(default_factory=dict)  # project path -> content (None-like: b"" is a file)
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None
    command: tuple[str, ...] = ("apply", "--auto-approve")
    where: str = ""  # LOCATED: the file the error names (default: the only file given)
    budget_s: float = 2.0  # far above the real time; a hang or a runaway expansion exceeds it
    secret: str = ""  # a value that must appear in no output


@dataclass
class Outcome:
    result: Result
    seconds: float
    requests: list[str]

    @property
    def traceback(self) -> str:
        exc = self.result.exception
        if exc is None or isinstance(exc, SystemExit):
            return ""
        return "".join(traceback.format_exception(exc))


class RequestAttempted(Exception):
    """A case made a request: it should have been refused before any."""


@contextmanager
def requests_recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every request the product tries to send, refused at the transport."""
    sent: list[str] = []

    def refused(attempt: str) -> RequestAttempted:
        sent.append(attempt)
        return RequestAttempted(attempt)  # not an httpx error: never retried

    async def refuse(self: httpx.AsyncBaseTransport, request: httpx.Request) -> httpx.Response:
        raise refused(f"{request.method} {request.url}")

    async def refuse_pooled(self: PooledTransport, method: str, origin: Origin, target: bytes, *_: Any) -> Any:
        scheme, host, _ = origin
        raise refused(f"{method} {scheme.decode()}://{host.decode()}{target.decode()}")

    with monkeypatch.context() as patch:
        # Both transports: the client's own pooled one (whose every request, built by httpx or not, is
        # sent by `send`), and httpx's, should anything build a default client.
        patch.setattr(PooledTransport, "send", refuse_pooled)
        patch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", refuse)
        yield sent


def make_project(root: Path, case: Case) -> None:
    (root / "rules").mkdir()
    (root / "reconciler.yaml").write_bytes(CONFIG)
    (root / "rules" / "good.yaml").write_bytes(GOOD_MANIFEST)
    for relative, content in case.files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    if case.setup is not None:
        case.setup(root)


def run_case(case: Case, root: Path, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    make_project(root, case)
    monkeypatch.chdir(root)
    with requests_recorded(monkeypatch) as sent:
        started = time.perf_counter()
        result = CliRunner().invoke(main, ["--no-color", *case.command], env={**ENV, **case.env}, catch_exceptions=True)
        seconds = time.perf_counter() - started
    return Outcome(result, seconds, sent)


def check_outcome(case: Case, outcome: Outcome) -> None:
    result = outcome.result
    assert not outcome.traceback, outcome.traceback
    assert outcome.requests == [], f"requests were made: {outcome.requests}"
    assert result.exit_code == 1, f"exit {result.exit_code}:\n{result.output}"
    assert outcome.seconds < case.budget_s, f"took {outcome.seconds:.2f} s"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors, f"no error line:\n{result.output}"
    others = [line for line in result.stderr.splitlines() if not line.startswith("error:")]
    assert all(line.endswith("nothing was changed in any tenant.") for line in others), result.stderr
    assert case.message in result.stderr, f"{case.message!r} not in:\n{result.stderr}"
    assert not case.secret.strip() or case.secret.strip() not in result.output, "the secret was shown"
    if case.expect == LOCATED:
        where = case.where or next(iter(case.files), "")
        located = [line for line in errors if _names_a_line(line, where)]
        assert located, f"no error located in {where}:\n{result.stderr}"


def _names_a_line(line: str, file: str) -> bool:
    head = line.removeprefix("error: ").split(" ", 1)[0]
    name, _, rest = head.partition(":")
    return name == file and rest.split(":")[0].isdigit()
