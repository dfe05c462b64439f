"""Bad rule-test files (`tests/rules/*.yaml`): each stops `reconciler test`, and `plan`, located,
before any request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.corpus.harness import LOCATED, REFUSED, Case
from tests.corpus.yaml_cases import ONELOGIN_HEAD, VAULT_HEAD, YAML_TEXTS

TESTS = "tests/rules/bad.yaml"
ONELOGIN_RULES = (
    ONELOGIN_HEAD
    + b"""\
  - name: Admins
    conditions: [{source: has_role, operator: ri, value: "340475"}]
    actions: [{action: set_role, value: ["340476"]}]
"""
)
VAULT_RULES = (
    VAULT_HEAD
    + b"""\
  - key: ssnRead
    name: SSN read
    type: activity
    constraint: {type: attribute, operator: any, attributes: [SSN]}
    action: {type: alert, alertLevel: WARNING, message: read}
"""
)
APP = b"target: onelogin-test\napp: 500100\ncases:\n"
VAULT = b"target: vault-test\ncases:\n"
PRIMO = b"target: primo-test\ncases:\n"
GOOD_CASE = b"  - {name: ok, input: {status: {MDM_ENROLLMENT: PENDING}}, expect: {alerts: [MDM_ENROLLMENT]}}\n"

# (name, test file text, message)
BAD_TEST_FILES: list[tuple[str, bytes, str]] = [
    ("not-a-mapping", b"- target: primo-test\n", "a test file is a mapping with 'target' and 'cases'"),
    ("target-missing", b"cases: []\n", "required field is missing (the target these cases test)"),
    ("target-unknown", b"target: primo-tset\ncases: []\n", "unknown target 'primo-tset' (did you mean"),
    ("target-list", b"target: [primo-test]\ncases: []\n", "must be one target's name"),
    ("cases-missing", b"target: primo-test\n", "required field is missing (a list of cases)"),
    ("cases-mapping", b"target: primo-test\ncases: {name: x}\n", "must be a list of cases"),
    ("case-scalar", PRIMO + b"  - just a name\n", "a case is a mapping with 'name', 'input' and 'expect'"),
    ("case-name-missing", PRIMO + b"  - {input: {}}\n", "name"),
    ("case-name-blank", PRIMO + b"  - {name: ' ', input: {}}\n", "name"),
    ("case-name-twice", PRIMO + GOOD_CASE + GOOD_CASE, "case name 'ok' is already used by cases[0]"),
    ("case-field-misspelt", PRIMO + b"  - {name: x, inputs: {}}\n", "unknown field 'inputs' (did you mean 'input'?)"),
    ("recorded-not-bool", PRIMO + b"  - {name: x, input: {}, recorded: yes}\n", "recorded"),
    ("primo-type-unknown", PRIMO + b"  - {name: x, input: {status: {MDM_ENROLMENT: PENDING}}}\n", "MDM_ENROLMENT"),
    ("primo-status-unknown", PRIMO + b"  - {name: x, input: {status: {MDM_ONLINE: OFLINE}}}\n", "'OFLINE'"),
    ("primo-expect-unknown", PRIMO + b"  - {name: x, input: {}, expect: {alert: []}}\n", "unknown field 'alert'"),
    ("primo-scope-field", b"target: primo-test\napp: 1\ncases: []\n", "unknown field 'app'"),
    ("app-unknown", b"target: onelogin-test\napp: 500999\ncases: []\n", "no manifest declares rules for app 500999"),
    ("app-missing", b"target: onelogin-test\ncases: []\n", "app"),
    ("source-unknown", APP + b"  - {name: x, input: {departmnet: Sales}}\n", "unknown condition source 'departmnet'"),
    ("source-value-mapping", APP + b"  - {name: x, input: {department: {a: 1}}}\n", "department"),
    (
        "expect-rule-unknown",
        APP + b"  - {name: x, input: {}, expect: {rules: [Admin]}}\n",
        "no rule of this app is named",
    ),
    ("expect-action-unknown", APP + b"  - {name: x, input: {}, expect: {actions: {set_rol: [1]}}}\n", "set_rol"),
    ("vault-attribute-unknown", VAULT + b"  - {name: x, input: {attributes: [SNN]}}\n", "names attribute 'SNN'"),
    ("vault-event-unknown", VAULT + b"  - {name: x, input: {event: REED}}\n", "'REED' is not allowed"),
    ("vault-sentiment-range", VAULT + b"  - {name: x, input: {sentiment: 2}}\n", "sentiment"),
    ("vault-blocked-text", VAULT + b"  - {name: x, input: {}, expect: {blocked: maybe}}\n", "blocked"),
]


def _file_in_the_way(root: Path) -> None:
    (root / "out").write_text("a file where the report's folder should be\n")


# Bad options of `reconciler test` itself: (name, extra arguments, setup, message)
BAD_OPTIONS: list[tuple[str, tuple[str, ...], Callable[[Path], None] | None, str]] = [
    ("k-matches-no-case", ("-k", "laptpo"), None, "-k 'laptpo' matches none of the 1 case(s)"),
    ("junit-unwritable", ("--junit", "out/results.xml"), _file_in_the_way, "cannot write the JUnit report"),
]


def ruletest_cases() -> list[Case]:
    files = {"rules/app.yaml": ONELOGIN_RULES, "rules/vault.yaml": VAULT_RULES}
    cases = []
    for name, text, message in BAD_TEST_FILES:
        for command in (("test",), ("plan",)):
            case_files = {**files, TESTS: text}
            cases.append(
                Case(
                    f"ruletests/{command[0]}/{name}",
                    "rule test",
                    LOCATED,
                    message,
                    case_files,
                    command=command,
                    where=TESTS,
                )
            )
    for name, text, message in YAML_TEXTS:
        cases.append(
            Case(
                f"ruletests/yaml/{name}",
                "rule test",
                LOCATED,
                message,
                {TESTS: PRIMO + GOOD_CASE + text},
                command=("test",),
            )
        )
    for name, arguments, setup, message in BAD_OPTIONS:
        cases.append(
            Case(
                f"ruletests/options/{name}",
                "rule test",
                REFUSED,
                message,
                {TESTS: PRIMO + GOOD_CASE},
                command=("test", *arguments),
                setup=setup,
            )
        )
    return cases
