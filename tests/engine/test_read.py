"""Reading live rules: an answer of a shape the provider's reader did not expect, or a live rule it
cannot compare, makes its scope one that could not be read, said in words: never a Python error, and
nothing planned for the scope."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reconciler.engine.model import DesiredRule, DesiredScope, LiveRule, LiveScope, ScopeRef
from reconciler.engine.planner import plan_scope_or_error
from reconciler.engine.read import fetch_scope
from reconciler.errors import ApiError, Location
from reconciler.http.client import ApiClient, BearerKey
from reconciler.providers.onelogin import OneLoginProvider

REF = ScopeRef("ol", "app:5")


class Listed(OneLoginProvider):
    """OneLogin's comparison, fed rules as a reader that checked less would have let through."""

    rules: list[LiveRule] = []
    failure: Exception | None = None

    async def fetch(self, scope: str) -> list[LiveRule]:
        if self.failure is not None:
            raise self.failure
        return self.rules


def read(rules: list[LiveRule], failure: Exception | None = None) -> LiveScope | ApiError:
    provider = Listed(ApiClient("https://ol.example.test/base", BearerKey("k" * 8)), {})
    provider.rules, provider.failure = rules, failure
    return asyncio.run(fetch_scope({"ol": provider}, REF))


def live(**body: Any) -> LiveRule:
    return LiveRule("r", {"id": 1, "name": "r", **body}, {"id": 1})


def test_rules_the_provider_can_compare_are_read() -> None:
    good = live(conditions=[{"source": "has_role", "operator": "ri", "value": "1"}], actions=[])
    assert read([good]) == LiveScope(REF, [good])


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (KeyError("name"), "the list of live rules is not of the shape expected: a field 'name' is missing"),
        (TypeError("'int' object is not iterable"), "a value is of another kind than expected"),
    ],
    ids=["missing-field", "type-error"],
)
def test_a_reader_that_meets_another_shape_fails_the_read_in_words(failure: Exception, words: str) -> None:
    result = read([], failure)
    assert isinstance(result, ApiError)
    assert str(result).startswith("GET ol.example.test: unexpected answer: "), str(result)
    assert words in str(result) and "Error(" not in str(result) and "object is not" not in str(result)


WANTED = {
    "name": "r",
    "match": "all",
    "enabled": True,
    "conditions": [],
    "actions": [{"action": "set_role", "value": ["2"]}],
}


@pytest.mark.parametrize("managed", [True, False], ids=["managed", "pruned"])
@pytest.mark.parametrize(
    "body", [{"conditions": 5}, {"conditions": ["x"]}, {"actions": [7]}], ids=["number", "text", "action-number"]
)
def test_a_live_rule_that_cannot_be_compared_leaves_its_scope_unplanned(body: dict[str, Any], managed: bool) -> None:
    state = read([live(**body)])
    assert isinstance(state, LiveScope)  # the reader let it through: the planner must not choke on it
    rules = [DesiredRule(REF, "r", WANTED, Location("rules/a.yaml", 3))] if managed else []
    planned = plan_scope_or_error(Listed, DesiredScope(REF, rules=rules), state, prune=True)
    assert planned.changes == [] and planned.error is not None
    assert planned.error.startswith("unexpected answer: the live rule 'r' is not of the shape expected: "), (
        planned.error
    )
