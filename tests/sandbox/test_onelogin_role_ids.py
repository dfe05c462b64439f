"""Each OneLogin tenant of the sandbox gives the same role names ids of its own, as real accounts do,
and lists catalogue values as the reference's samples do (role ids as numbers)."""

from __future__ import annotations

from reconciler.sandbox import SandboxServer, SandboxState
from tests.sandbox.helpers import onelogin_client


def test_two_tenants_serve_the_same_role_names_under_other_ids() -> None:
    state = SandboxState()
    staging, prod = state.tenant("onelogin", "staging"), state.tenant("onelogin", "prod")
    prod.first_role_id = 910000
    staging.add_app(1, "Salesforce")
    prod.add_app(1, "Salesforce")
    with SandboxServer(state) as server:
        answers = {}
        for tenant in ("staging", "prod"):
            client, _ = onelogin_client(server, tenant)
            with client:
                answers[tenant] = client.get("/api/2/apps/1/rules/actions/set_role/values").json()
    assert [r["name"] for r in answers["staging"]] == [r["name"] for r in answers["prod"]]
    assert answers["staging"][0] == {"name": "Admin", "value": 340475}
    assert answers["prod"][0] == {"name": "Admin", "value": 910000}


def test_a_tenants_role_ids_survive_a_restart() -> None:
    state = SandboxState()
    state.tenant("onelogin", "prod").first_role_id = 910000
    again = SandboxState.from_json(state.to_json())
    assert again.tenant("onelogin", "prod").first_role_id == 910000
