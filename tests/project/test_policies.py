"""Policy files and exceptions as bad input: every case is a located one-line problem, never a traceback
and never a silent pass. Table-driven: (name, class, files, config addition, expected problem text)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from reconciler.engine.policygate import evaluate_policies
from reconciler.errors import InputError
from reconciler.project.config import load_config
from reconciler.project.policies import load_policies

TODAY = date(2026, 6, 1)
CONFIG = """\
version: 1
targets:
  vault-prod:
    provider: vizivault
    url: https://vault.example.com
    credentials: {api_key: {env: VAULT_KEY}}
"""
DENY = 'package reconciler.ok\n\nimport rego.v1\n\ndeny contains "always" if input.command == "plan"\n'


def project(tmp_path: Path, files: dict[str, str], config: str = "") -> Path:
    (tmp_path / "reconciler.yaml").write_text(CONFIG + textwrap.dedent(config))
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "reconciler.yaml"


def problems(config_path: Path) -> list[str]:
    """What loading and evaluating the policies once reports, as the CLI prints it."""
    try:
        policies = load_policies(load_config(config_path), TODAY)
        if policies is not None and policies.evaluator is not None:
            evaluate_policies(policies.evaluator, policies.exceptions, {"command": "plan", "desired": []})
    except InputError as exc:
        return [str(p) for p in exc.problems]
    return []


BAD = [
    (
        "syntax-unclosed",
        "rego-syntax",
        {"policies/a.rego": 'package reconciler.a\n\ndeny contains msg if {\n\tmsg := "x"\n'},
        "",
        "policies/a.rego:3:22 Rego: this is unclosed",
    ),
    (
        "syntax-after-unicode",
        "rego-syntax",
        {"policies/a.rego": 'package reconciler.a\n\n# café, naïve\ndeny contains msg if {\n\tmsg := "é"\n'},
        "",
        "policies/a.rego:4:22 Rego: this is unclosed",
    ),
    (
        "syntax-bad-token",
        "rego-syntax",
        {"policies/a.rego": "package reconciler.a\n\ndeny contains 1 if {\n\tx := [1,\n}\n"},
        "",
        "policies/a.rego:",
    ),
    (
        "no-package",
        "rego-syntax",
        {"policies/a.rego": 'deny contains "x" if true\n'},
        "",
        "policies/a.rego:1:1 a Rego policy file must start with `package NAME`",
    ),
    (
        "runtime-type-error",
        "rego-runtime",
        {"policies/a.rego": "package reconciler.a\n\nimport rego.v1\n\ndeny contains x if {\n\tx := concat(1, 2)\n}\n"},
        "",
        "policies/a.rego:5:1 data.reconciler.a.deny: the Rego engine stopped evaluating this rule",
    ),
    (
        "runtime-conflict",
        "rego-runtime",
        {"policies/a.rego": "package reconciler.a\n\nimport rego.v1\n\nwarn := 1 if true\n\nwarn := 2 if true\n"},
        "",
        "policies/a.rego:5:1 data.reconciler.a.warn: the Rego engine stopped evaluating this rule",
    ),
    (
        "unknown-function",
        "rego-runtime",
        {"policies/a.rego": "package reconciler.a\n\nimport rego.v1\n\ndeny contains x if {\n\tx := nosuch(1)\n}\n"},
        "",
        "policies/a.rego:5:1 data.reconciler.a.deny: Rego: Function not found: nosuch",
    ),
    (
        "with-over-builtin",
        "rego-engine-limit",
        {
            "policies/a.rego": "package reconciler.a\n\nimport rego.v1\n\ndeny contains upper(input.x) if true\n",
            "policies/a_test.rego": 'package reconciler.a\n\ntest_x if {\n\tdeny["X"] with input as {"x": "x"}\n}\n',
        },
        "",
        "",  # evaluation leaves test files out: the policy itself evaluates
    ),
    (
        "metadata-not-yaml",
        "policy-annotation",
        {"policies/a.rego": "package reconciler.a\n\n# METADATA\n# title: [unclosed\ndeny contains 1 if true\n"},
        "",
        "policies/a.rego:4 METADATA: annotation is not YAML",
    ),
    (
        "exception-expired",
        "policy-exception",
        {"policies/ok.rego": DENY},
        """\
        policy_exceptions:
          - {policy: reconciler.ok.deny, rules: ["vault-prod/*"], reason: migration, expires: 2026-05-31}
        """,
        "reconciler.yaml:8:5 policy_exceptions: the exception for reconciler.ok.deny expired on 2026-05-31 "
        "(migration): renew it with a new expiry date, or remove it",
    ),
    (
        "exception-unknown-policy",
        "policy-exception",
        {"policies/ok.rego": DENY},
        """\
        policy_exceptions:
          - {policy: reconciler.ok.denny, rules: ["vault-prod/*"], reason: migration, expires: 2027-01-01}
        """,
        "reconciler.yaml:8:5 policy_exceptions.policy: no policy rule 'reconciler.ok.denny' "
        "(did you mean 'reconciler.ok.deny'?)",
    ),
    (
        "exception-without-reason",
        "policy-exception",
        {"policies/ok.rego": DENY},
        """\
        policy_exceptions:
          - {policy: reconciler.ok.deny, rules: ["vault-prod/*"], expires: 2027-01-01}
        """,
        "reconciler.yaml:8:5 policy_exceptions[0].reason: required field is missing",
    ),
    (
        "exceptions-file-missing",
        "policy-exception",
        {"policies/ok.rego": DENY},
        "policies: {exceptions_file: exceptions.yaml}\n",
        "reconciler.yaml:7:29 policies.exceptions_file: exceptions file 'exceptions.yaml' not found",
    ),
    (
        "exceptions-file-expired",
        "policy-exception",
        {
            "policies/ok.rego": DENY,
            "exceptions.yaml": "policy_exceptions:\n  - policy: reconciler.ok.deny\n    rules: [x]\n"
            "    reason: r\n    expires: 2020-01-01\n",
        },
        "policies: {exceptions_file: exceptions.yaml}\n",
        "exceptions.yaml:2:5 policy_exceptions: the exception for reconciler.ok.deny expired on 2020-01-01",
    ),
    (
        "required-empty-folder",
        "policy-required",
        {"policies/README.md": "no policies yet\n"},
        "policies: {required: true}\n",
        "reconciler.yaml:7:22 policies.required: no policy was evaluated: no .rego file in 'policies'",
    ),
    (
        "required-tests-only",
        "policy-required",
        {"policies/a_test.rego": "package reconciler.a_test\n\ntest_x if true\n"},
        "policies: {required: true}\n",
        "policies.required: no policy was evaluated: no .rego file in 'policies'",
    ),
    (
        "dir-typo",
        "policy-required",
        {"policies/ok.rego": DENY},
        "policies: {dir: polices, required: true}\n",
        "reconciler.yaml:7:17 policies.dir: policy folder 'polices' not found",
    ),
]


@pytest.mark.parametrize(("name", "kind", "files", "config", "expected"), BAD, ids=[case[0] for case in BAD])
def test_bad_policy_input_is_one_located_line(
    tmp_path: Path, name: str, kind: str, files: dict[str, str], config: str, expected: str
) -> None:
    found = problems(project(tmp_path, files, config))
    if not expected:
        assert found == []
        return
    assert any(expected in line for line in found), found
    assert all("\n" not in line and "Traceback" not in line for line in found)


def test_an_exception_covers_only_the_rules_it_names(tmp_path: Path) -> None:
    policy = (
        "package reconciler.ok\n\nimport rego.v1\n\n"
        'deny contains {"msg": concat(" ", ["bad", r.identity]), "address": r.address} if some r in input.desired\n'
    )
    config = """\
    policy_exceptions:
      - {policy: data.reconciler.ok.deny, rules: ["vault-prod/rules/a*"], reason: known, expires: 2027-01-01}
    """
    policies = load_policies(load_config(project(tmp_path, {"policies/ok.rego": policy}, config)), TODAY)
    assert policies is not None and policies.evaluator is not None
    desired = [{"identity": i, "address": f"vault-prod/rules/{i}"} for i in ("alpha", "beta")]
    report = evaluate_policies(policies.evaluator, policies.exceptions, {"desired": desired})
    assert [f.message for f in report.denies] == ["bad beta"]
    assert [f.message for f in report.excepted] == ["bad alpha"]
    assert report.excepted[0].excepted is not None and report.excepted[0].excepted.startswith("known (exception at")


def test_no_policy_folder_means_no_policy_section(tmp_path: Path) -> None:
    assert load_policies(load_config(project(tmp_path, {})), TODAY) is None


def test_the_rego_engine_loads_only_for_a_project_with_policies(tmp_path: Path) -> None:
    """regopy (and ctypes) cost a plan 40 ms of start-up: a project without policy files never loads it."""
    probe = (
        "import sys; from datetime import date; from pathlib import Path\n"
        "from reconciler.project.config import load_config\n"
        "from reconciler.project.policies import load_policies\n"
        "load_policies(load_config(Path(sys.argv[1])), date(2030, 1, 1))\n"
        "print('regopy' in sys.modules)\n"
    )
    (tmp_path / "without").mkdir()
    (tmp_path / "with").mkdir()
    without = project(tmp_path / "without", {})
    with_policy = project(tmp_path / "with", {"policies/ok.rego": DENY})
    for config, loads in ((without, "False"), (with_policy, "True")):
        done = subprocess.run([sys.executable, "-c", probe, str(config)], capture_output=True, text=True, check=True)
        assert done.stdout.strip() == loads, done.stderr
