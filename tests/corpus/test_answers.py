"""Answers of the wrong kind: each server answer below, given to `plan` through the real client and
transport, ends in one clear message naming the method, host and path and saying in words what was
wrong, under the target's heading; never a Python error, a traceback, a write, or a wait past the
target's `timeout` and `retry_for`. (Bad inputs from files are in the corpus proper: test_corpus.py.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from tests.corpus.servers import Answer, Request, canned_server

TOKEN_PATH = "/auth/oauth2/v2/token"
RULES_PATH = {"primo": "/compliance/alert-rules", "vizivault": "/rules", "onelogin": "/api/2/apps/5/rules"}
MANIFEST = {
    "primo": "target: t\nrules:\n  - {type: MDM_ENROLLMENT, nonCompliantStatus: [PENDING]}\n",
    "vizivault": (
        "target: t\nrules:\n  - key: k\n    name: n\n    type: data\n"
        "    constraint: {type: attribute, operator: any, attributes: [SSN]}\n    action: {type: block}\n"
    ),
    "onelogin": (
        "target: t\napp: 5\nrules:\n  - name: r\n    conditions: [{source: has_role, operator: ri, value: '1'}]\n"
        "    actions: [{action: set_role, value: ['2']}]\n"
    ),
}
CREDENTIALS = {
    "primo": {"api_key": "KEY"},
    "vizivault": {"api_key": "KEY"},
    "onelogin": {"client_id": "CLIENT_ID", "client_secret": "CLIENT_SECRET"},
}
ENV = {"KEY": "answers-key-0001", "CLIENT_ID": "answers-id-0002", "CLIENT_SECRET": "answers-secret-0003"}
GRANTED = Answer(200, json.dumps({"access_token": "answers-token-0004", "expires_in": 3600}).encode())


@dataclass(frozen=True)
class Wrong:
    name: str
    provider: str
    rules: Answer  # the answer to the rules list (OneLogin: to both of its lists)
    message: str  # what the error must say
    token: Answer = field(default_factory=lambda: GRANTED)  # OneLogin's token answer
    path: str = ""  # the request the error must name (default: the rules list)
    settings: str = "    retry_for: 0\n"


def html(body: bytes = b"<html><body>Service unavailable</body></html>") -> Answer:
    return Answer(200, body, "text/html")


def js(value: object) -> Answer:
    return Answer(200, json.dumps(value).encode())


def rule(**fields: object) -> dict[str, object]:
    return {"id": 1, "name": "r", "position": 1, "conditions": [], "actions": [], **fields}


TRICKLED = json.dumps({"data": [{"type": "MDM_ONLINE", "nonCompliantStatus": ["OFFLINE"]}] * 30}).encode()
CASES = [
    Wrong("primo-html", "primo", html(), "HTTP 200: the answer is an HTML page, not JSON"),
    Wrong("primo-empty", "primo", Answer(200, b""), "HTTP 200: the answer is empty, not JSON"),
    Wrong("primo-text", "primo", Answer(200, b"ok", "text/plain"), "the answer is not JSON (text/plain)"),
    Wrong("primo-number", "primo", js(5), "unexpected answer: the answer is a number, not an object"),
    Wrong("primo-list", "primo", js([]), "the answer is an empty list, not an object"),
    Wrong("primo-no-data", "primo", js({"rules": []}), "the answer has no 'data' field"),
    Wrong("primo-data-number", "primo", js({"data": 5}), "the answer's 'data' is a number, not a list"),
    Wrong("primo-item-text", "primo", js({"data": ["MDM_ONLINE"]}), "data[0] is a text, not an object"),
    Wrong("primo-type-number", "primo", js({"data": [{"type": 5}]}), "data[0].type is a number"),
    Wrong("primo-no-type", "primo", js({"data": [{"id": "x"}]}), "data[0] has no 'type' field"),
    Wrong(
        "primo-statuses-number",
        "primo",
        js({"data": [{"type": "MDM_ONLINE", "nonCompliantStatus": 5}]}),
        "data[0].nonCompliantStatus is a number, not a list",
    ),
    Wrong(
        "primo-pages-text",
        "primo",
        js({"data": [], "pagination": {"totalPages": "many"}}),
        "pagination.totalPages is a text, not a whole number",
    ),
    Wrong(  # "²" passes str.isdigit, yet int() refuses it
        "primo-pages-superscript",
        "primo",
        js({"data": [], "pagination": {"totalPages": "\u00b2"}}),
        "pagination.totalPages is a text, not a whole number",
    ),
    Wrong(
        "primo-pages-endless",
        "primo",
        js({"data": [], "pagination": {"totalPages": 1000000}}),
        "page 1 of 1000000 is empty: the pages of the list end early",
    ),
    Wrong("vault-html", "vizivault", html(), "the answer is an HTML page, not JSON"),
    Wrong(
        "vault-infinity",
        "vizivault",
        Answer(200, b'{"data": [{"key": "k", "name": "n", "action": {"type": "alert", "alertLevel": Infinity}}]}'),
        "unexpected answer: it holds Infinity, which is not JSON",
    ),
    Wrong("primo-nan", "primo", Answer(200, b'{"data": [], "pagination": {"totalPages": NaN}}'), "it holds NaN"),
    Wrong("vault-null", "vizivault", js(None), "the answer is null, not an object"),
    Wrong("vault-list", "vizivault", js([{"key": "k"}]), "the answer is a list of 1 item(s), not an object"),
    Wrong("vault-no-key", "vizivault", js({"data": [{"name": "n"}]}), "data[0] has no 'key' field"),
    Wrong("vault-key-list", "vizivault", js({"data": [{"key": ["k"], "name": "n"}]}), "data[0].key is a list"),
    Wrong("vault-name-number", "vizivault", js({"data": [{"key": "k", "name": 5}]}), "data[0].name is a number"),
    Wrong("onelogin-rules-html", "onelogin", html(), "the answer is an HTML page, not JSON"),
    Wrong("onelogin-rules-object", "onelogin", js({"data": []}), "the answer is an object with the fields 'data'"),
    Wrong("onelogin-rule-id-text", "onelogin", js([rule(id="x")]), "rule [0].id is a text, not a whole number"),
    Wrong("onelogin-rule-name-number", "onelogin", js([rule(name=7)]), "rule [0].name is a number"),
    Wrong("onelogin-rule-no-name", "onelogin", js([{"id": 1}]), "rule [0] has no 'name' field"),
    Wrong("onelogin-conditions-number", "onelogin", js([rule(conditions=5)]), "rule [0].conditions is a number"),
    Wrong("onelogin-condition-text", "onelogin", js([rule(conditions=["x"])]), "rule [0].conditions[0] is a text"),
    Wrong("onelogin-position-text", "onelogin", js([rule(position="a")]), "rule [0].position is a text"),
    Wrong(
        "onelogin-token-missing",
        "onelogin",
        js([]),
        "the token answer has no 'access_token' field (it is an object with the fields 'status')",
        token=js({"status": "ok"}),
        path=f"POST 127.0.0.1:{{port}}{TOKEN_PATH}",
    ),
    Wrong(
        "onelogin-token-html",
        "onelogin",
        js([]),
        "the answer is an HTML page, not JSON",
        token=html(b"<html>Sign in</html>"),
        path=f"POST 127.0.0.1:{{port}}{TOKEN_PATH}",
    ),
    Wrong(
        "onelogin-token-number",
        "onelogin",
        js([]),
        "the token answer's 'access_token' is a number",
        token=js({"access_token": 5}),
        path=f"POST 127.0.0.1:{{port}}{TOKEN_PATH}",
    ),
    # A server that trickles its answer a byte at a time: each attempt is cut off at `timeout`, and
    # retries end with `retry_for` (the whole answer would take 40 s).
    Wrong(
        "primo-trickle",
        "primo",
        Answer(200, TRICKLED, trickle_s=0.02),
        "request timed out (gave up after",
        settings="    timeout: 0.5\n    retry_for: 1\n",
    ),
    Wrong(
        "onelogin-token-trickle",
        "onelogin",
        js([]),
        "request timed out",
        token=Answer(200, GRANTED.body * 20, trickle_s=0.05),
        settings="    timeout: 0.5\n    retry_for: 1\n",
        path="GET 127.0.0.1:{port}/api/2/apps/5/rules",
    ),
]


def handler(case: Wrong) -> Callable[[Request], Answer]:
    def answer(request: Request) -> Answer:
        if request.path.startswith(TOKEN_PATH):
            return case.token
        if request.path.startswith(RULES_PATH[case.provider]):
            return case.rules
        return Answer(404, b'{"message": "not found"}')

    return answer


def project(root: Path, case: Wrong, url: str) -> None:
    credentials = "".join(f"      {name}: {{env: {env}}}\n" for name, env in CREDENTIALS[case.provider].items())
    (root / "reconciler.yaml").write_text(
        f"version: 1\ntargets:\n  t:\n    provider: {case.provider}\n    url: {url}\n    prune: true\n"
        f"{case.settings}    credentials:\n{credentials}",
        encoding="utf-8",
    )
    (root / "rules").mkdir()
    (root / "rules" / "a.yaml").write_text(MANIFEST[case.provider], encoding="utf-8")


def run_failing(command: Sequence[str]) -> Result:
    """`command` run as users run it: it fails with exit code 1, never with a Python error."""
    result = CliRunner().invoke(main, ["--no-color", *command], env=ENV, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    return result


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_an_answer_of_the_wrong_kind_is_said_in_words(
    case: Wrong, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with canned_server(handler(case)) as server:
        project(tmp_path, case, server.url)
        monkeypatch.chdir(tmp_path)
        started = time.monotonic()
        result = run_failing(["plan"])
        seconds = time.monotonic() - started
    port = server.url.rsplit(":", 1)[1]
    request = (case.path or f"GET 127.0.0.1:{{port}}{RULES_PATH[case.provider]}").format(port=port)
    failures = [line.strip() for line in result.stdout.splitlines() if "could not read live rules" in line]
    assert len(failures) == 1, result.output
    assert request in failures[0] and case.message in failures[0], failures[0]
    assert "Error(" not in result.output and "object is not" not in result.output  # no Python error as a message
    assert result.stdout.lstrip().startswith("t · "), result.stdout  # under the target's heading
    assert {r.method for r in server.requests} <= {"GET", "POST"}
    assert all(r.method == "GET" or r.path.startswith(TOKEN_PATH) for r in server.requests)  # nothing written
    assert seconds < 10, f"took {seconds:.1f} s"  # a hang guard, far above the budget: not a timing goal


WRITES = [
    ("onelogin", Answer(201, b'{"ok": true}'), 'failed create "r"', "HTTP 201: unexpected answer: the answer has no"),
    ("onelogin", Answer(201, b"<html></html>", "text/html"), 'failed create "r"', "the answer is an HTML page"),
    ("primo", Answer(200, b'{"rule": 5}'), 'failed create "MDM_ENROLLMENT"', "the answer's 'rule' is a number"),
]


@pytest.mark.parametrize(("provider", "written", "change", "message"), WRITES, ids=["no-id", "html", "rule-number"])
def test_a_write_answered_in_the_wrong_shape_fails_that_change_in_words(
    provider: str, written: Answer, change: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = js({"data": []} if provider == "primo" else [])
    case = Wrong("write", provider, empty, message)

    def answer(request: Request) -> Answer:
        return handler(case)(request) if request.method == "GET" or request.path == TOKEN_PATH else written

    with canned_server(answer) as server:
        project(tmp_path, case, server.url)
        monkeypatch.chdir(tmp_path)
        result = run_failing(["apply", "--auto-approve"])
    [failed] = [line for line in result.output.splitlines() if change in line]
    assert f"POST 127.0.0.1:{server.url.rsplit(':', 1)[1]}{RULES_PATH[provider]}" in failed and message in failed


@pytest.mark.parametrize(
    "command", [("validate", "--remote"), ("import", "-t", "t", "--app", "5", "--dry-run")], ids=["remote", "import"]
)
def test_commands_without_a_plan_name_the_target_of_a_wrong_answer(
    command: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = Wrong("any", "onelogin", html(), "")
    with canned_server(lambda request: case.token if request.path == TOKEN_PATH else html()) as server:
        project(tmp_path, case, server.url)
        monkeypatch.chdir(tmp_path)
        result = run_failing(command)
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert error.startswith(f"error: target 't': GET 127.0.0.1:{server.url.rsplit(':', 1)[1]}/api/2/apps/5"), error
    assert error.endswith("HTTP 200: the answer is an HTML page, not JSON (a proxy, gateway or login page?)"), error


@pytest.mark.parametrize("total_pages", ["²", "many", "-1", ""])
def test_an_apps_list_whose_page_count_is_no_number_ends_at_a_short_page(
    total_pages: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `Total-Pages` of the apps list is a header: a text that is not ASCII digits ("²" passes
    # str.isdigit, yet int() refuses it) is read as no count at all: the list ends at its first short page.
    case = Wrong("apps-total-pages", "onelogin", js([]), "")
    apps = Answer(200, json.dumps([{"id": 5, "name": "Five"}]).encode(), headers={"Total-Pages": total_pages})

    def answer(request: Request) -> Answer:
        return apps if request.path.startswith("/api/2/apps?") else handler(case)(request)

    with canned_server(answer) as server:
        project(tmp_path, case, server.url)
        (tmp_path / "rules" / "a.yaml").write_text(
            MANIFEST["onelogin"].replace("app: 5", "app: {name: Five}"), encoding="utf-8"
        )
        monkeypatch.chdir(tmp_path)
        result = CliRunner().invoke(main, ["--no-color", "plan"], env=ENV, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    assert '+ create "r"' in result.output, result.output
    assert [r.path for r in server.requests].count("/api/2/apps?limit=1000&page=1") == 1
