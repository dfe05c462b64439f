"""The Primo evaluator: which compliance alert rules fire for a device's state."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from reconciler.engine.behaviour import outcome_differences
from reconciler.providers.primo_evaluator import DeviceState, PrimoEvaluator, PrimoOutcome

RULES = [
    {"type": "MDM_ENROLLMENT", "nonCompliantStatus": ["PENDING", "MDM_OFF"]},
    {"type": "MDM_CONTROL_ENCRYPTION", "nonCompliantStatus": ["NOT_ENCRYPTED", "MISSING_RECOVERY_KEY"]},
    {"type": "MDM_ONLINE", "nonCompliantStatus": []},
]


def run(rules: list[dict[str, Any]], **status: Any) -> PrimoOutcome:
    return PrimoEvaluator.evaluate(rules, DeviceState.model_validate({"status": status}))


def test_a_listed_non_compliant_status_raises_the_types_alert() -> None:
    outcome = run(RULES, MDM_ENROLLMENT="MDM_OFF", MDM_CONTROL_ENCRYPTION="ENCRYPTED", MDM_ONLINE="OFFLINE_7_DAYS")
    assert outcome.alerts == ["MDM_ENROLLMENT"]


def test_any_of_several_statuses_fires_and_a_type_without_a_rule_never_does() -> None:
    assert run(RULES, MDM_CONTROL_ENCRYPTION=["ENCRYPTED", "MISSING_RECOVERY_KEY"]).alerts == ["MDM_CONTROL_ENCRYPTION"]
    assert run(RULES, MDM_CONTROL_FIREWALL="DISABLED").alerts == []


def test_unknown_types_and_statuses_are_refused_by_the_input_model() -> None:
    with pytest.raises(ValidationError):
        DeviceState.model_validate({"status": {"MDM_ENROLMENT": "PENDING"}})
    with pytest.raises(ValidationError):
        DeviceState.model_validate({"status": {"MDM_ENROLLMENT": "PENDNG"}})


def test_the_difference_reads_as_alerts_gained_and_lost() -> None:
    before, after = PrimoOutcome(alerts=["MDM_ONLINE"]), PrimoOutcome(alerts=["MDM_ENROLLMENT"])
    assert outcome_differences(PrimoEvaluator, before, after) == ["alerts +MDM_ENROLLMENT, -MDM_ONLINE"]


statuses = st.lists(st.sampled_from(["PENDING", "MDM_OFF", "NOT_ENCRYPTED", "OFFLINE_7_DAYS"]), max_size=3)
types = st.sampled_from(["MDM_ENROLLMENT", "MDM_CONTROL_ENCRYPTION", "MDM_ONLINE"])


@given(st.dictionaries(types, statuses), st.dictionaries(types, statuses), st.randoms())
def test_order_of_rules_and_statuses_never_matters(rule_statuses, device, random) -> None:
    rules = [{"type": t, "nonCompliantStatus": s} for t, s in rule_statuses.items()]
    shuffled = [
        {**r, "nonCompliantStatus": random.sample(r["nonCompliantStatus"], len(r["nonCompliantStatus"]))}
        for r in random.sample(rules, len(rules))
    ]
    shuffled_device = {t: random.sample(s, len(s)) for t, s in device.items()}
    assert run(shuffled, **shuffled_device) == run(rules, **device)


@given(st.dictionaries(types, statuses), st.dictionaries(types, statuses))
def test_a_rule_whose_statuses_the_device_does_not_have_never_acts(rule_statuses, device) -> None:
    rules = [{"type": t, "nonCompliantStatus": s} for t, s in rule_statuses.items()]
    silent = {"type": "MDM_CONTROL_FIREWALL", "nonCompliantStatus": ["DISABLED"]}
    assert run([*rules, silent], **device) == run(rules, **device)
