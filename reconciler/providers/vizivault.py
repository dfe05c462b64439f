"""ViziVault data-governance rules: upsert by `key`, list all, delete by name.

Assumptions beyond the API reference (from the vendor's other docs and SDKs), kept here and nowhere else:
- `key` is the rule's identity (upserts match on it), while GET/DELETE address a rule by name;
- `executionOrder` is filled in by the server when omitted, so it is compared only when given;
  the value it fills in is 1 (every rule in the reference's examples has it), so `import` leaves
  that value out and writes any other.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union
from urllib.parse import quote

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from reconciler.engine.model import DesiredRule, LiveRule
from reconciler.engine.provider import Provider
from reconciler.errors import Problem
from reconciler.http.answers import a_list, a_text, an_object, field
from reconciler.providers.isocodes import is_country, is_subdivision, suggest_country, suggest_subdivision

if TYPE_CHECKING:
    from reconciler.http.client import Authenticator

ListOperator = Literal["any", "none"]
ListOperatorWithAll = Literal["any", "all", "none"]
Predicate = Literal["eq", "neq", "gt", "lt", "geq", "leq", "before", "after", "in", "nin", "regex"]
EventType = Literal["STORE", "UPDATE", "READ", "DELETE"]
AlertLevel = Literal["INFO", "WARNING", "DANGER", "SUCCESS", "NEUTRAL", "NORMAL"]


# Constraint types only one rule type allows (from the vendor's rule-language docs); the rest are allowed in both.
RULE_TYPE_OF_CONSTRAINT = {
    "tag": "data",
    "regulation": "data",
    "sentiment": "data",
    "application": "activity",
    "eventType": "activity",
}


def _did_you_mean(hint: str | None, otherwise: str) -> str:
    return f" (did you mean {hint!r}?)" if hint else f" ({otherwise})"


def _country_code(code: str) -> str:
    if not is_country(code):
        hint = _did_you_mean(suggest_country(code), "two letters, such as 'US'")
        raise ValueError(f"{code!r} is not an ISO 3166-1 code{hint}")
    return code


def _subdivision_code(code: str) -> str:
    if not is_subdivision(code):
        hint = _did_you_mean(suggest_subdivision(code), "country code, hyphen, subdivision, such as 'US-NY'")
        raise ValueError(f"{code!r} is not an ISO 3166-2 subdivision code{hint}")
    return code


CountryCode = Annotated[str, AfterValidator(_country_code)]
SubdivisionCode = Annotated[str, AfterValidator(_subdivision_code)]
AttributeKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_]+$")]
StrictInt = Annotated[int, Field(strict=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AllConstraint(_Strict):
    type: Literal["all"]
    constraints: list[Constraint]


class AnyConstraint(_Strict):
    type: Literal["any"]
    constraints: list[Constraint]


class AttributeConstraint(_Strict):
    type: Literal["attribute"]
    operator: ListOperator
    attributes: list[AttributeKey]


class TagConstraint(_Strict):
    type: Literal["tag"]
    operator: ListOperatorWithAll
    tags: list[str]


class RegulationConstraint(_Strict):
    type: Literal["regulation"]
    operator: ListOperatorWithAll
    regulations: list[str]


class GeoConstraint(_Strict):
    type: Literal["geo"]
    operator: ListOperator
    countries: list[CountryCode] | None = None
    subdivisions: list[SubdivisionCode] | None = None

    @model_validator(mode="after")
    def _some_codes(self) -> GeoConstraint:
        if not self.countries and not self.subdivisions:
            raise ValueError("a geo constraint needs 'countries' or 'subdivisions' (or both), and neither is given")
        return self


class UserConstraint(_Strict):
    type: Literal["user"]
    attribute: AttributeKey
    predicate: Predicate
    value: str | int | float | bool | list[str | int | float]

    @field_validator("value", mode="before")
    @classmethod
    def _value_given(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("a value is required: what the attribute is compared with")
        return value


class EntityTypeConstraint(_Strict):
    type: Literal["entityType"]
    entityTypes: list[str]


class ApplicationConstraint(_Strict):
    type: Literal["application"]
    operator: ListOperator
    applications: list[str]


class EventTypeConstraint(_Strict):
    type: Literal["eventType"]
    eventTypes: list[EventType]


class SentimentConstraint(_Strict):
    type: Literal["sentiment"]
    threshold: float = Field(ge=-1, le=1, strict=True)


Constraint = Annotated[
    Union[  # noqa: UP007 - a discriminated union reads best spelled out
        AllConstraint,
        AnyConstraint,
        AttributeConstraint,
        TagConstraint,
        RegulationConstraint,
        GeoConstraint,
        UserConstraint,
        EntityTypeConstraint,
        ApplicationConstraint,
        EventTypeConstraint,
        SentimentConstraint,
    ],
    Field(discriminator="type"),
]
AllConstraint.model_rebuild()
AnyConstraint.model_rebuild()


class AlertAction(_Strict):
    type: Literal["alert"]
    alertLevel: AlertLevel
    message: str


class TagAction(_Strict):
    type: Literal["tag"]
    tag: str
    status: str | None = None


class EntityTagAction(_Strict):
    type: Literal["entityTag"]
    tag: str


class RegulationAction(_Strict):
    type: Literal["regulation"]
    regulation: str


class BlockAction(_Strict):
    type: Literal["block"]
    message: str | None = None


class ProhibitionAction(_Strict):
    type: Literal["prohibition"]
    status: str | None = None
    prohibitions: list[Literal["READ", "STORE", "UPDATE", "DELETE"]]


def _is_iso_date_or_time(text: str) -> bool:
    """The whole text is an ISO 8601 date or date-time: nothing may trail it."""
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(text)
        except ValueError:
            continue
        return True
    return False


class RetentionAction(_Strict):
    type: Literal["retention"]
    expirationDate: str | None = None
    daysSinceStore: StrictInt | None = Field(default=None, ge=0)
    daysSinceRead: StrictInt | None = Field(default=None, ge=0)
    autoDelete: bool | None = Field(default=None, strict=True)

    @field_validator("expirationDate", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()  # YAML reads an unquoted 2030-01-01 as a date: the API wants its text
        if isinstance(value, str) and not _is_iso_date_or_time(value):
            raise ValueError(f"{value!r} is not an ISO 8601 date (such as '2030-01-31')")
        return value

    @model_validator(mode="after")
    def _some_expiry(self) -> RetentionAction:
        if self.expirationDate is None and self.daysSinceStore is None and self.daysSinceRead is None:
            raise ValueError("a retention action needs 'expirationDate', 'daysSinceStore' or 'daysSinceRead'")
        return self


Action = Annotated[
    Union[  # noqa: UP007
        AlertAction,
        TagAction,
        EntityTagAction,
        RegulationAction,
        BlockAction,
        ProhibitionAction,
        RetentionAction,
    ],
    Field(discriminator="type"),
]


class ViziVaultRule(_Strict):
    key: str = Field(min_length=1)
    name: str = Field(min_length=1)
    type: Literal["data", "activity"]
    constraint: Constraint
    action: Action
    executionOrder: StrictInt | None = None


# List fields whose order means nothing to the API: sorted so reordering them is no change.
UNORDERED_LISTS = frozenset(
    {
        "attributes",
        "tags",
        "regulations",
        "countries",
        "subdivisions",
        "entityTypes",
        "applications",
        "eventTypes",
        "prohibitions",
    }
)
UPPERCASE_LISTS = frozenset({"countries", "subdivisions"})  # ISO codes are case-insensitive
SERVER_FIELDS = frozenset({"createdDate", "modifiedDate"})
DEFAULT_EXECUTION_ORDER = 1
_sorted_json = json.JSONEncoder(sort_keys=True).encode  # json.dumps(sort_keys=True), its encoder made once


def _canonical(node: Any) -> Any:
    # Scalars are kept without a call of their own: every rule of a plan and of its read-back passes here.
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if value is None:
                continue
            if isinstance(value, list):
                if key in UPPERCASE_LISTS:
                    value = [str(v).upper() for v in value]
                value = [_canonical(v) if isinstance(v, dict | list) else v for v in value]
                if key in UNORDERED_LISTS:
                    value = sorted(set(value), key=str)
                elif key == "constraints" and node.get("type") in ("all", "any"):
                    value = sorted(value, key=_sorted_json)  # and/or commute
            elif isinstance(value, dict):
                value = _canonical(value)
            out[key] = value
        return out
    if isinstance(node, list):
        return [_canonical(v) for v in node]
    return node


def _misplaced_constraints(
    constraint: dict[str, Any],
    rule_type: str,
    path: tuple[str | int, ...],
    problems: list[tuple[tuple[str | int, ...], str]],
) -> None:
    """Appends to `problems` the constraints under `constraint` that a rule of `rule_type` cannot hold.
    (A module function, not a closure: a recursive closure is a reference cycle left for the collector.)"""
    kind = constraint["type"]
    allowed = RULE_TYPE_OF_CONSTRAINT.get(kind)
    if allowed and allowed != rule_type:
        message = f"{kind!r} constraints are only allowed in {allowed} rules (this one is {rule_type!r})"
        problems.append(((*path, "type"), message))
    if kind in ("all", "any"):
        for index, child in enumerate(constraint["constraints"]):
            _misplaced_constraints(child, rule_type, (*path, "constraints", index), problems)


class ViziVaultProvider(Provider):
    name = "vizivault"
    rule_model = ViziVaultRule
    credential_names = ("api_key",)
    computed_fields = frozenset({"executionOrder"})
    identity_field = "key"
    unordered_lists = UNORDERED_LISTS

    @classmethod
    def scope_label(cls, scope: str) -> str:
        return "rules"

    @classmethod
    def identity(cls, body: dict[str, Any]) -> str:
        return str(body["key"])

    @classmethod
    def rule_problems(cls, body: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
        """Constraints the rule's type does not allow, anywhere in the all/any tree."""
        problems: list[tuple[tuple[str | int, ...], str]] = []
        _misplaced_constraints(body["constraint"], body["type"], ("constraint",), problems)
        return problems

    @classmethod
    def check_scope(cls, rules: list[DesiredRule]) -> list[Problem]:
        """Names must be unique too: GET and DELETE address a rule by name, and the API refuses a clash."""
        first_by_name: dict[str, DesiredRule] = {}
        problems = []
        for rule in rules:
            first = first_by_name.setdefault(rule.body["name"], rule)
            if first is not rule and first.identity != rule.identity:
                message = f"name {rule.body['name']!r} is already used by rule {first.identity!r} at {first.location}"
                problems.append(rule.problem(("name",), message))
        return problems

    @classmethod
    def normalize(cls, body: dict[str, Any]) -> dict[str, Any]:
        return _canonical({k: v for k, v in body.items() if k not in SERVER_FIELDS})

    @classmethod
    def to_manifest(cls, live_body: dict[str, Any]) -> dict[str, Any]:
        manifest = super().to_manifest(live_body)
        if manifest.get("executionOrder") == DEFAULT_EXECUTION_ORDER:
            del manifest["executionOrder"]  # what the server fills in: a manifest need not pin it
        return manifest

    @classmethod
    def authenticator(cls, credentials: dict[str, str], options: dict[str, Any]) -> Authenticator:
        from reconciler.http.client import BearerKey  # here: loading rules needs no HTTP stack

        return BearerKey(credentials["api_key"])

    async def scope_title(self, scope: str) -> str:
        return "data-governance rules"

    async def fetch(self, scope: str) -> list[LiveRule]:
        return await self.client.read_json("/rules", _live_rules, may_wait=True)

    async def create(self, scope: str, body: dict[str, Any], position: int | None = None) -> dict[str, Any]:
        await self.client.request("POST", "/rules", json=body, idempotent=True)
        return {"key": body["key"], "name": body["name"]}

    async def update(self, scope: str, ref: dict[str, Any], body: dict[str, Any]) -> None:
        await self.client.request("POST", "/rules", json=body, idempotent=True)

    async def delete(self, scope: str, ref: dict[str, Any], body: dict[str, Any]) -> None:
        await self.client.request("DELETE", f"/rules/{quote(ref['name'], safe='')}", idempotent=True)


def _live_rules(answer: Any) -> list[LiveRule]:
    """The rules of `GET /rules`: each an object with a text `key` and `name` (what later requests address)."""
    rules = []
    listed = field(an_object(answer, "the answer"), "data", "the answer")
    for n, raw in enumerate(a_list(listed, "the answer's 'data'")):
        rule = an_object(raw, f"data[{n}]")
        key = a_text(field(rule, "key", f"data[{n}]"), f"data[{n}].key")
        name = a_text(field(rule, "name", f"data[{n}]"), f"data[{n}].name")
        ref = {"key": key, "name": name}
        rules.append(LiveRule(identity=key, body=rule, ref=ref, modified=rule.get("modifiedDate")))
    return rules
