"""Which Primo compliance alert rules fire for a device's state.

Where Primo's reference does not pin down evaluation, this file decides, and only this file
(docs/rule-tests.md repeats the list):
1. A rule fires when the device's status for the rule's compliance type is one of the rule's
   `nonCompliantStatus`; an empty list fires for nothing (the reference: "pass an empty array to
   disable alerts").
2. A compliance type with no rule raises no alert (no default rules are assumed).
3. A device may be given several statuses for one type (a type can be, say, both NOT_ENCRYPTED and
   MISSING_RECOVERY_KEY): the rule fires when any of them is listed.
4. A type the device has no status for raises no alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler.engine.behaviour import Evaluator
from reconciler.providers.primo import PrimoStatus, PrimoType


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class DeviceState(BaseModel):
    """A test input: one device's (or account's) status per compliance type."""

    model_config = ConfigDict(extra="forbid")
    status: dict[PrimoType, list[PrimoStatus]] = Field(default_factory=dict)

    @field_validator("status", mode="before")
    @classmethod
    def _one_status_is_a_list(cls, value: Any) -> Any:
        return {k: _as_list(v) for k, v in value.items()} if isinstance(value, dict) else value


class PrimoOutcome(BaseModel):
    """The compliance types that raise an alert for the device (a set: sorted)."""

    model_config = ConfigDict(extra="forbid")
    alerts: list[PrimoType] = Field(default_factory=list)

    @field_validator("alerts", mode="before")
    @classmethod
    def _one_alert_is_a_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("alerts")
    @classmethod
    def _as_set(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class PrimoEvaluator(Evaluator):
    input_model = DeviceState
    outcome_model = PrimoOutcome

    @classmethod
    def evaluate(cls, rules: Sequence[Mapping[str, Any]], case_input: BaseModel) -> PrimoOutcome:
        assert isinstance(case_input, DeviceState)
        alerting = {rule["type"]: set(rule.get("nonCompliantStatus") or []) for rule in rules}
        fired = [kind for kind, statuses in case_input.status.items() if alerting.get(kind, set()) & set(statuses)]
        return PrimoOutcome(alerts=fired)
