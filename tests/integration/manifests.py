"""Manifest texts and live rules several CLI tests start from."""

# One OneLogin app (7 in the sandbox's test tenant) with a single rule; tests append rules to it.
ONE_RULE_APP = """\
target: onelogin-test
app: 7
rules:
  - name: first
    conditions: [{source: has_role, operator: ri, value: "340475"}]
    actions: [{action: set_role, value: ["340476"]}]
"""


def onelogin_rule(name: str, enabled: bool = True) -> dict[str, object]:
    """A live OneLogin rule body, told apart by its name."""
    return {
        "name": name,
        "match": "all",
        "enabled": enabled,
        "conditions": [{"source": "title", "operator": "~", "value": name}],
        "actions": [{"action": "set_status", "value": ["3"]}],
    }
