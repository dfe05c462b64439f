"""OneLogin names: the last line of defence against sending a name, and how values are found."""

from __future__ import annotations

import pytest

from reconciler.errors import ApiError
from reconciler.providers.onelogin_names import refuse_unresolved

RESOLVED = {
    "name": "r",
    "conditions": [{"source": "has_role", "operator": "ri", "value": "340475"}],
    "actions": [{"action": "set_role", "value": ["340476"]}],
}


def test_a_resolved_body_goes_out() -> None:
    refuse_unresolved(RESOLVED, "POST", "/api/2/apps/1/rules")


@pytest.mark.parametrize(
    "body",
    [
        {**RESOLVED, "conditions": [{"source": "has_role", "operator": "ri", "value": {"name": "Admin"}}]},
        {**RESOLVED, "actions": [{"action": "set_role", "value": ["340476", {"name": "Sales"}]}]},
    ],
)
def test_a_body_still_holding_a_name_is_never_sent(body: dict[str, object]) -> None:
    with pytest.raises(ApiError, match="still given by name"):
        refuse_unresolved(body, "PUT", "/api/2/apps/1/rules/9")
