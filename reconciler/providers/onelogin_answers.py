"""What OneLogin's answers must hold, read with the checks of `reconciler.http.answers`.

Each reader takes one decoded JSON answer and returns what the provider uses, or raises
UnexpectedAnswer saying in words what the answer lacks (the client names the request).
"""

from __future__ import annotations

from typing import Any

from reconciler.http.answers import UnexpectedAnswer, a_list, a_text, an_object, describe, field, whole_number

DEFAULT_TOKEN_LIFETIME_S = 3600.0


def token(answer: Any) -> tuple[str, float]:
    """An OAuth2 token answer: the access token and its lifetime in seconds."""
    granted = an_object(answer, "the token answer")
    if "access_token" not in granted:
        raise UnexpectedAnswer(f"the token answer has no 'access_token' field (it is {describe(granted)})")
    value = a_text(granted["access_token"], "the token answer's 'access_token'")
    lifetime = granted.get("expires_in", DEFAULT_TOKEN_LIFETIME_S)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or not 0 < lifetime < float("inf"):
        raise UnexpectedAnswer("the token answer's 'expires_in' is not a number of seconds")
    return value, float(lifetime)


def live_rules(answer: Any) -> list[dict[str, Any]]:
    """`GET .../rules`: a list of rules, each with an id, a text name, a position (or null) and its
    conditions and actions as lists of objects."""
    rules = a_list(answer, "the answer")
    for n, raw in enumerate(rules):
        rule = an_object(raw, f"rule [{n}]")
        whole_number(field(rule, "id", f"rule [{n}]"), f"rule [{n}].id")
        a_text(field(rule, "name", f"rule [{n}]"), f"rule [{n}].name")
        if rule.get("position") is not None:
            whole_number(rule["position"], f"rule [{n}].position")
        for part in ("conditions", "actions"):
            for i, item in enumerate(a_list(rule.get(part) or [], f"rule [{n}].{part}")):
                an_object(item, f"rule [{n}].{part}[{i}]")
    return rules


def created_id(answer: Any) -> int:
    """`POST .../rules`: the new rule's id."""
    return whole_number(field(an_object(answer, "the answer"), "id", "the answer"), "the answer's 'id'")


def app(answer: Any) -> dict[str, Any]:
    """`GET /api/2/apps/{id}`: the app."""
    return an_object(answer, "the answer")


def apps(answer: Any) -> dict[int, str]:
    """One page of `GET /api/2/apps`: each app's id and name."""
    found: dict[int, str] = {}
    for n, raw in enumerate(a_list(answer, "the answer")):
        item = an_object(raw, f"app [{n}]")
        found[whole_number(field(item, "id", f"app [{n}]"), f"app [{n}].id")] = str(item.get("name") or "")
    return found


def catalogue(answer: Any) -> list[dict[str, Any]]:
    """A list of `{value, name}` entries (conditions, actions, operators, values); null is an empty one."""
    entries = a_list(answer if answer is not None else [], "the answer")
    for n, raw in enumerate(entries):
        field(an_object(raw, f"entry [{n}]"), "value", f"entry [{n}]")
    return entries
