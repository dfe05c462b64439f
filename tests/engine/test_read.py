"""Reading live rules: a rule of a shape the provider cannot compare fails the read of its scope, in
words naming the host, rather than the plan later with a Python error."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reconciler.engine.model import LiveRule, LiveScope, ScopeRef
from reconciler.engine.read import fetch_scope
from reconciler.errors import ApiError
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
    ("rules", "failure", "words"),
    [
        ([live(conditions=5)], None, "the live rule 'r' is not of the shape expected: a value is of another kind"),
        ([live(conditions=["x"])], None, "the live rule 'r' is not of the shape expected"),
        ([], KeyError("name"), "the list of live rules is not of the shape expected: a field 'name' is missing"),
        ([], TypeError("'int' object is not iterable"), "a value is of another kind than expected"),
    ],
    ids=["conditions-number", "condition-text", "missing-field", "type-error"],
)
def test_a_rule_of_another_shape_fails_the_read_in_words(
    rules: list[LiveRule], failure: Exception | None, words: str
) -> None:
    result = read(rules, failure)
    assert isinstance(result, ApiError)
    assert str(result).startswith("GET ol.example.test: unexpected answer: "), str(result)
    assert words in str(result) and "Error(" not in str(result) and "object is not" not in str(result)
