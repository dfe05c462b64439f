"""The bad-input corpus: every case ends in its class (see `harness`), never in a traceback, a hang, a
request, or a rule deleted. The counts per class are checked too, so a case cannot slip out unseen."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.corpus.harness import CLASSES, LOCATED, Case, check_outcome, run_case
from tests.corpus.plan_cases import plan_cases
from tests.corpus.ruletest_cases import ruletest_cases
from tests.corpus.secret_cases import secret_cases
from tests.corpus.target_cases import target_cases
from tests.corpus.yaml_cases import config_cases, discovery_cases, yaml_cases

CASES: list[Case] = [
    *yaml_cases(),
    *config_cases(),
    *discovery_cases(),
    *ruletest_cases(),
    *target_cases(),
    *plan_cases(),
    *secret_cases(),
]


def test_the_corpus_is_large_and_every_case_has_a_known_class() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), [n for n, count in Counter(names).items() if count > 1]
    assert {case.expect for case in CASES} <= set(CLASSES)
    assert len(CASES) >= 200


@pytest.mark.timeout(20)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_bad_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_outcome(case, run_case(case, tmp_path, monkeypatch))


def test_the_harness_sees_every_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A valid project's plan must be caught trying to read: else "no request made" measures nothing.
    outcome = run_case(Case("good", "manifest", LOCATED, "", command=("plan",)), tmp_path, monkeypatch)
    assert "GET https://primo.example.test/compliance/alert-rules" in outcome.requests[0]
    assert outcome.seconds < 5, f"took {outcome.seconds:.2f} s"
