"""Primo compliance alert rules: one rule per type, written by upsert, "deleted" by disabling.

Assumptions beyond the API reference (from the vendor's other docs and SDKs), kept here and nowhere else:
- live rules are listed with `GET /compliance/alert-rules`, paged like Primo's other lists, and
  each item carries its `type`;
- deleting a rule means upserting it with an empty `nonCompliantStatus` (alerts disabled);
- which statuses count as compliant (the reference names only a few examples).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler.engine.model import LiveRule
from reconciler.engine.provider import Provider
from reconciler.errors import ApiError
from reconciler.http.answers import a_list, a_text, an_object, field, whole_number

if TYPE_CHECKING:
    from reconciler.http.client import Authenticator

PrimoType = Literal[
    "MDM_CONTROL_MALWAREBYTES",
    "MDM_CONTROL_RECOVERY_OS",
    "MDM_CONTROL_ENCRYPTION",
    "MDM_CONTROL_OS_UPDATE",
    "MDM_CONTROL_SOFTWARE_UPDATE",
    "MDM_CONTROL_WIFI",
    "MDM_CONTROL_ADMIN_USER_MANAGEMENT",
    "MDM_CONTROL_ADMIN_USER_PASSWORD_ROTATION",
    "MDM_CONTROL_DEVICE_NAMING",
    "MDM_CONTROL_GOOGLE_CHROME",
    "MDM_CONTROL_FIREWALL",
    "MDM_CONTROL_USB_BLOCKING",
    "MDM_CONTROL_ENTRA_SSO",
    "MDM_CONTROL_OKTA_SSO",
    "MDM_CONTROL_CUSTOM_FILE",
    "MDM_CONTROL_PASSWORD_POLICY",
    "MDM_CONTROL_SENTINEL_ONE",
    "MDM_CONTROL_RUSTDESK",
    "MDM_CONTROL_APP_BLOCKING",
    "MDM_CONTROL_DISABLE_PROFILES_PANE",
    "MDM_CONTROL_DISABLE_AIRDROP",
    "MDM_CONTROL_SCREEN_CAPTURE",
    "MDM_CONTROL_AIR_PRINT",
    "MDM_ENROLLMENT",
    "MDM_ONLINE",
    "MDM_ICLOUD_LOCK_STATUS",
    "PRIMO_REQUIREMENT",
]
PrimoStatus = Literal[
    "ACTIVE",
    "NOT_PROTECTED",
    "OFFLINE_7_DAYS",
    "PENDING",
    "PROTECTED",
    "FAILED",
    "NOT_ENCRYPTED",
    "MISSING_RECOVERY_KEY",
    "ENCRYPTED",
    "ACTION_REQUIRED",
    "GRACE_PERIOD",
    "UP_TO_DATE",
    "NOT_UP_TO_DATE",
    "ENFORCED",
    "ERROR",
    "CREATION_PENDING",
    "DEMOTION_PENDING",
    "CREATED",
    "CREATION_FAILED",
    "SUCCESS",
    "INSTALLED",
    "MDM_ON",
    "MDM_OFF",
    "MDM_ON_IN_ANOTHER_MDM",
    "READY_ZTD",
    "MISSING_AGENT",
    "ONLINE",
    "OFFLINE",
    "ENABLED",
    "DISABLED",
    "MISSING_BYPASS_CODE",
    "MEETS_REQUIREMENTS",
    "BELOW_MINIMUM_VERSION",
    "UNSUPPORTED_OS_EDITION",
]
PRIMO_TYPES: tuple[str, ...] = get_args(PrimoType)
# Assumption: the reference names SUCCESS, ONLINE, ENCRYPTED, UP_TO_DATE "etc."; the rest by meaning.
COMPLIANT_STATUSES = frozenset(
    {
        "SUCCESS",
        "ONLINE",
        "ENCRYPTED",
        "UP_TO_DATE",
        "PROTECTED",
        "ENFORCED",
        "INSTALLED",
        "MDM_ON",
        "CREATED",
        "MEETS_REQUIREMENTS",
    }
)
PAGE_SIZE = 100  # the documented maximum of perPage
MAX_PAGES = 1000  # a bound on paging: 100,000 rules, far above the number of compliance types


class PrimoRule(BaseModel):
    """One alert rule: which non-compliant statuses of a compliance type raise an alert."""

    model_config = ConfigDict(extra="forbid")

    type: PrimoType
    nonCompliantStatus: list[PrimoStatus]

    @field_validator("nonCompliantStatus", mode="before")
    @classmethod
    def _one_status_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("nonCompliantStatus")
    @classmethod
    def _only_non_compliant(cls, value: list[str]) -> list[str]:
        compliant = [s for s in value if s in COMPLIANT_STATUSES]
        if compliant:
            what = "is a compliant status" if len(compliant) == 1 else "are compliant statuses"
            raise ValueError(f"{', '.join(compliant)} {what}; only non-compliant statuses can raise alerts")
        return value


CompanyId = Annotated[str, Field(min_length=1, pattern=r"^[\x21-\x7e]+$")]  # sent in a header: printable ASCII


class PrimoOptions(BaseModel):
    """`options:` of a Primo target: the company a workspace-wide key acts on (sent as x-company-id)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    company_id: CompanyId | Annotated[int, Field(gt=0)] | None = None


class PrimoProvider(Provider):
    name = "primo"
    rule_model = PrimoRule
    credential_names = ("api_key",)
    options_model = PrimoOptions
    identity_field = "type"
    unordered_lists = frozenset({"nonCompliantStatus"})
    delete_verb: ClassVar[str] = "disable"

    @classmethod
    def scope_label(cls, scope: str) -> str:
        return "compliance alert rules"

    @classmethod
    def identity(cls, body: dict[str, Any]) -> str:
        return str(body["type"])

    @classmethod
    def normalize(cls, body: dict[str, Any]) -> dict[str, Any]:
        # Statuses are a set to the API: order and repeats never make a difference.
        return {"type": body["type"], "nonCompliantStatus": sorted(set(body.get("nonCompliantStatus") or []))}

    @classmethod
    def is_disabled(cls, body: dict[str, Any]) -> bool:
        return not body.get("nonCompliantStatus")  # no status raises an alert: the documented "off"

    @classmethod
    def authenticator(cls, credentials: dict[str, str], options: dict[str, Any]) -> Authenticator:
        from reconciler.http.client import BearerKey  # here: loading rules needs no HTTP stack

        extra = {"x-company-id": str(options["company_id"])} if options.get("company_id") else None
        return BearerKey(credentials["api_key"], extra)

    async def fetch(self, scope: str) -> list[LiveRule]:
        rules: list[LiveRule] = []
        for page in range(1, MAX_PAGES + 1):
            params = {"page": page, "perPage": PAGE_SIZE}
            items, pages = await self.client.read_json("/compliance/alert-rules", _rules_page, params=params)
            rules += items
            if page >= pages:
                return rules
            if not items:
                raise ApiError(
                    f"page {page} of {pages} is empty: the pages of the list end early",
                    method="GET",
                    path=self.client.where("/compliance/alert-rules"),
                )
        raise ApiError(
            f"the list has more than {MAX_PAGES} pages", method="GET", path=self.client.where("/compliance/alert-rules")
        )

    async def _upsert(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.request("POST", "/compliance/alert-rules", json=body, idempotent=True)
        rule = self.client.answer(response, "POST", "/compliance/alert-rules", _upserted)
        return {"id": rule.get("id"), "type": body["type"]}

    async def create(self, scope: str, body: dict[str, Any], position: int | None = None) -> dict[str, Any]:
        return await self._upsert(body)

    async def update(self, scope: str, ref: dict[str, Any], body: dict[str, Any]) -> None:
        await self._upsert(body)

    async def delete(self, scope: str, ref: dict[str, Any], body: dict[str, Any]) -> None:
        await self._upsert({"type": ref["type"], "nonCompliantStatus": []})


def _rules_page(answer: Any) -> tuple[list[LiveRule], int]:
    """One page of `GET /compliance/alert-rules`: its rules and the number of pages."""
    page = an_object(answer, "the answer")
    rules = []
    for n, raw in enumerate(a_list(field(page, "data", "the answer"), "the answer's 'data'")):
        item = an_object(raw, f"data[{n}]")
        kind = a_text(field(item, "type", f"data[{n}]"), f"data[{n}].type")
        statuses = item.get("nonCompliantStatus") or []
        for i, status in enumerate(a_list(statuses, f"data[{n}].nonCompliantStatus")):
            a_text(status, f"data[{n}].nonCompliantStatus[{i}]")
        body = {"type": kind, "nonCompliantStatus": statuses}
        rules.append(
            LiveRule(
                identity=kind,
                body=body,
                ref={"id": item.get("id"), "type": kind},
                tombstone=PrimoProvider.is_disabled(body),
                modified=item.get("updatedAt"),
            )
        )
    pagination = an_object(page.get("pagination") or {}, "the answer's 'pagination'")
    return rules, whole_number(pagination.get("totalPages", 1), "pagination.totalPages")


def _upserted(answer: Any) -> dict[str, Any]:
    """The rule an upsert answers with (its id, when the answer gives one)."""
    if answer is None or answer == "":
        return {}
    return an_object(an_object(answer, "the answer").get("rule") or {}, "the answer's 'rule'")
