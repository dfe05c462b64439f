"""OneLogin's documented vocabulary as the emulator serves it: rate and paging limits, roles,
statuses, operators, the default per-app catalog of conditions and actions, and error names."""

from __future__ import annotations

import copy
from typing import Any

# Budget per window when no limit is configured: OneLogin always sends the headers, and a client must
# be able to read them, but the sandbox should not throttle tests or benchmarks that did not ask for it.
DEFAULT_RATE_LIMIT = 100_000
DEFAULT_TOKEN_TTL = 36000  # seconds, OneLogin's `expires_in`
APPS_DEFAULT_LIMIT = 50
APPS_MAX_LIMIT = 1000
FILTER_TYPES = ("builtin", "custom", "none")  # has_condition_type / has_action_type values (SDK docs)

ROLE_NAMES = ("Admin", "Employee", "Contractor", "Sales")
FIRST_ROLE_ID = 340475  # a tenant's own ids: two tenants may give the same role names other ids


def roles(first_id: int = FIRST_ROLE_ID) -> list[dict[str, Any]]:
    """Roles as the values catalogues list them: numeric ids, as in the reference's samples."""
    return [{"name": name, "value": first_id + index} for index, name in enumerate(ROLE_NAMES)]


USER_STATUSES = [
    {"name": "Unactivated", "value": "0"},
    {"name": "Active", "value": "1"},
    {"name": "Suspended", "value": "2"},
    {"name": "Locked", "value": "3"},
    {"name": "Password expired", "value": "4"},
    {"name": "Awaiting password reset", "value": "5"},
]
TEXT_OPERATORS = [
    {"name": "is", "value": "="},
    {"name": "is not", "value": "!="},
    {"name": "contains", "value": "~"},
    {"name": "does not contain", "value": "!~"},
]
# Per app: condition sources (their operators and, when closed, their values) and actions (and their
# values when closed). `values: None` means free text. `custom: True` marks custom-attribute entries,
# which is what the `has_condition_type` / `has_action_type` filters tell apart from built-in ones.
DEFAULT_CATALOG: dict[str, Any] = {
    "conditions": {
        "has_role": {
            "name": "Has role",
            "values": roles(),
            "operators": [{"name": "includes", "value": "ri"}, {"name": "does not include", "value": "!ri"}],
        },
        "last_login": {
            "name": "Last login (days ago)",
            "values": None,
            "operators": [
                {"name": "more than", "value": ">"},
                {"name": "less than", "value": "<"},
                {"name": "is", "value": "="},
            ],
        },
        "email": {"name": "Email", "values": None, "operators": TEXT_OPERATORS},
        "member_of": {"name": "MemberOf", "values": None, "operators": TEXT_OPERATORS},
        "department": {"name": "Department", "values": None, "operators": TEXT_OPERATORS},
        "title": {"name": "Title", "values": None, "operators": TEXT_OPERATORS},
        "has_directory": {
            "name": "Directory",
            "operators": TEXT_OPERATORS[:2],
            "values": [{"name": "Active Directory", "value": "1001"}, {"name": "Google Workspace", "value": "1002"}],
        },
        "status": {"name": "Status", "values": USER_STATUSES, "operators": TEXT_OPERATORS[:2]},
        "custom_attribute_cost_center": {
            "name": "Cost center",
            "values": None,
            "operators": TEXT_OPERATORS,
            "custom": True,
        },
    },
    "actions": {
        "set_role": {"name": "Set role", "values": roles()},
        "set_groups": {"name": "Set groups", "values": None},
        "set_status": {"name": "Set status", "values": USER_STATUSES},
        "set_email": {"name": "Set email", "values": None},
        "set_department": {"name": "Set department", "values": None},
        "set_usertype": {"name": "Set user type", "values": None},
        "set_amazonroles": {"name": "Set Amazon roles", "values": None},
        "set_filteredgroups": {"name": "Set filtered groups", "values": None},
        "set_custom_attribute_cost_center": {"name": "Set cost center", "values": None, "custom": True},
    },
}
RULE_KEYS = ("id", "name", "match", "enabled", "position", "conditions", "actions")  # answer order
REQUIRED_FIELDS = ("name", "enabled", "match", "conditions", "actions")
ACTION_EXTRAS = ("expression", "macro", "scriplet")
ERROR_NAMES = {
    400: "BadRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "NotFoundError",
    429: "TooManyRequestsError",
    500: "InternalServerError",
    502: "BadGatewayError",
}


def default_catalog(first_role_id: int = FIRST_ROLE_ID) -> dict[str, Any]:
    """Every app's catalog unless given another, with the tenant's role ids."""
    catalog = copy.deepcopy(DEFAULT_CATALOG)
    catalog["conditions"]["has_role"]["values"] = roles(first_role_id)
    catalog["actions"]["set_role"]["values"] = roles(first_role_id)
    return catalog


def catalog_entries(mapping: dict[str, Any]) -> list[dict[str, str]]:
    """A catalog section as the API lists it: `[{"name": ..., "value": ...}]`."""
    return [{"name": v["name"], "value": k} for k, v in mapping.items()]


def allowed_values(entry: dict[str, Any]) -> set[str] | None:
    values = entry.get("values")
    return None if values is None else {str(v["value"]) for v in values}


def rendered_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A stored rule as the API answers it, keys in the documented order."""
    return {k: copy.deepcopy(rule[k]) for k in RULE_KEYS}
