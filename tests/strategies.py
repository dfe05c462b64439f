"""Hypothesis strategies for valid live rule sets of each provider (API-shaped rule bodies)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from reconciler.providers.primo import COMPLIANT_STATUSES, PRIMO_TYPES, PrimoStatus
from reconciler.sandbox.onelogin_catalog import DEFAULT_CATALOG
from reconciler.sandbox.vizivault import DEFAULT_ATTRIBUTES, DEFAULT_REGULATIONS

NON_COMPLIANT = sorted(set(PrimoStatus.__args__) - COMPLIANT_STATUSES)

# Text that YAML would misread when written plain, or that needs escaping, next to ordinary words.
TRICKY_WORDS = [
    "yes",
    "no",
    "true",
    "null",
    "~",
    "1.0",
    "0x1F",
    "010",
    "12:30",
    "-",
    "? x",
    "a: b",
    "#tag",
    "'q'",
    '"d"',
]
WORD_CHARS = "abcXYZ019 -_.:#'\"&*!|>%@`[]{},é"


def words(max_size: int = 16) -> st.SearchStrategy[str]:
    plain = st.text(alphabet=WORD_CHARS, min_size=1, max_size=max_size).map(str.strip).filter(bool)
    return st.one_of(plain, st.sampled_from(TRICKY_WORDS))


def digits() -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=10**7).map(str)


# ---- Primo -----------------------------------------------------------------------------------------
@st.composite
def primo_rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    """{type, nonCompliantStatus}; some with an empty status list (the deleted form)."""
    types = draw(st.lists(st.sampled_from(PRIMO_TYPES), unique=True, max_size=8))
    rules = []
    for type_ in types:
        statuses = draw(st.lists(st.sampled_from(NON_COMPLIANT), unique=True, max_size=4))
        rules.append({"type": type_, "nonCompliantStatus": statuses})
    return rules


# ---- ViziVault -------------------------------------------------------------------------------------
COUNTRIES = ["DE", "FR", "IE", "NL", "US", "GB", "de", "fr"]
SUBDIVISIONS = ["US-NY", "DE-BE", "FR-IDF"]
ATTRIBUTES = sorted(DEFAULT_ATTRIBUTES)  # attributes and regulations a vault knows
REGULATIONS = sorted(DEFAULT_REGULATIONS)
identifiers = st.text(alphabet="abcdefXYZ_0123", min_size=1, max_size=8)


def _leaf_constraint(rule_type: str) -> st.SearchStrategy[dict[str, Any]]:
    common = [
        st.fixed_dictionaries(
            {
                "type": st.just("attribute"),
                "operator": st.sampled_from(["any", "none"]),
                "attributes": st.lists(st.sampled_from(ATTRIBUTES), min_size=1, max_size=3, unique=True),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("user"),
                "attribute": st.sampled_from(ATTRIBUTES),
                "predicate": st.sampled_from(["eq", "neq", "gt", "regex"]),
                "value": st.one_of(words(8), st.integers(0, 99)),
            }
        ),
        st.fixed_dictionaries(
            {"type": st.just("entityType"), "entityTypes": st.lists(identifiers, min_size=1, max_size=2, unique=True)}
        ),
    ]
    if rule_type == "data":
        specific = [
            st.fixed_dictionaries(
                {
                    "type": st.just("geo"),
                    "operator": st.sampled_from(["any", "none"]),
                    "countries": st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3, unique=True),
                },
                optional={"subdivisions": st.lists(st.sampled_from(SUBDIVISIONS), min_size=1, max_size=2, unique=True)},
            ),
            st.fixed_dictionaries(
                {
                    "type": st.just("tag"),
                    "operator": st.sampled_from(["any", "all", "none"]),
                    "tags": st.lists(words(8), min_size=1, max_size=3, unique=True),
                }
            ),
            st.fixed_dictionaries({"type": st.just("sentiment"), "threshold": st.sampled_from([-0.5, 0, 0.25, 1])}),
            st.fixed_dictionaries(
                {
                    "type": st.just("regulation"),
                    "operator": st.sampled_from(["any", "all", "none"]),
                    "regulations": st.lists(st.sampled_from(REGULATIONS), min_size=1, max_size=2, unique=True),
                }
            ),
        ]
    else:
        specific = [
            st.fixed_dictionaries(
                {
                    "type": st.just("eventType"),
                    "eventTypes": st.lists(
                        st.sampled_from(["STORE", "UPDATE", "READ", "DELETE"]), min_size=1, max_size=3, unique=True
                    ),
                }
            ),
            st.fixed_dictionaries(
                {
                    "type": st.just("application"),
                    "operator": st.sampled_from(["any", "none"]),
                    "applications": st.lists(words(8), min_size=1, max_size=2, unique=True),
                }
            ),
        ]
    return st.one_of(*common, *specific)


def _constraint(rule_type: str) -> st.SearchStrategy[dict[str, Any]]:
    leaf = _leaf_constraint(rule_type)
    group = st.fixed_dictionaries(
        {"type": st.sampled_from(["all", "any"]), "constraints": st.lists(leaf, min_size=1, max_size=3)}
    )
    return st.one_of(leaf, group)


ACTIONS = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("alert"), "alertLevel": st.sampled_from(["INFO", "WARNING", "DANGER"]), "message": words()}
    ),
    st.fixed_dictionaries({"type": st.just("regulation"), "regulation": st.sampled_from(REGULATIONS)}),
    st.fixed_dictionaries({"type": st.just("tag"), "tag": words(8)}, optional={"status": st.just("ACTIVE")}),
    st.fixed_dictionaries({"type": st.just("block")}, optional={"message": words()}),
    st.fixed_dictionaries(
        {
            "type": st.just("prohibition"),
            "prohibitions": st.lists(st.sampled_from(["READ", "STORE", "UPDATE", "DELETE"]), min_size=1, unique=True),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("retention"), "daysSinceRead": st.integers(0, 3650)},
        optional={"daysSinceStore": st.integers(0, 3650), "autoDelete": st.booleans()},
    ),
)


@st.composite
def vizivault_rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    keys = draw(st.lists(identifiers, unique=True, max_size=6))
    names = draw(st.lists(words(), unique=True, min_size=len(keys), max_size=len(keys)))
    rules = []
    for key, name in zip(keys, names, strict=True):
        rule_type = draw(st.sampled_from(["data", "activity"]))
        rule = {
            "key": key,
            "name": name,
            "type": rule_type,
            "constraint": draw(_constraint(rule_type)),
            "action": draw(ACTIONS),
        }
        order = draw(st.one_of(st.none(), st.integers(1, 5)))
        if order is not None:
            rule["executionOrder"] = order
        rules.append(rule)
    return rules


# ---- OneLogin --------------------------------------------------------------------------------------
def _catalog_values(entry: dict[str, Any]) -> st.SearchStrategy[str]:
    """A value the app accepts for this source or action: one of its list, or free text / a number."""
    if entry["values"] is not None:
        return st.sampled_from([str(v["value"]) for v in entry["values"]])  # catalogues list role ids as numbers
    return st.one_of(digits(), words())


def _condition(source: str) -> st.SearchStrategy[dict[str, Any]]:
    entry = DEFAULT_CATALOG["conditions"][source]
    return st.fixed_dictionaries(
        {
            "source": st.just(source),
            "operator": st.sampled_from([o["value"] for o in entry["operators"]]),
            "value": _catalog_values(entry),
        }
    )


def _action(action: str) -> st.SearchStrategy[dict[str, Any]]:
    entry = DEFAULT_CATALOG["actions"][action]
    return st.fixed_dictionaries(
        {"action": st.just(action), "value": st.lists(_catalog_values(entry), max_size=2)},
        optional={"expression": st.sampled_from(["/.*/", "^admin$"])},
    )


CONDITION = st.one_of(*map(_condition, sorted(DEFAULT_CATALOG["conditions"])))
ACTION = st.one_of(*map(_action, sorted(DEFAULT_CATALOG["actions"])))


@st.composite
def onelogin_rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    """The rules of one app in position order: unique names, disabled ones too."""
    names = draw(st.lists(words(), unique=True, max_size=6))
    return [
        {
            "name": name,
            "match": draw(st.sampled_from(["all", "any"])),
            "enabled": draw(st.booleans()),
            "conditions": draw(st.lists(CONDITION, max_size=3)),
            "actions": draw(st.lists(ACTION, min_size=1, max_size=2)),
        }
        for name in names
    ]


def onelogin_apps() -> st.SearchStrategy[dict[int, tuple[str, list[dict[str, Any]]]]]:
    """Apps by id: (name, rules). App names repeat sometimes, as in real tenants."""
    return st.dictionaries(
        st.integers(1, 999_999),
        st.tuples(st.sampled_from(["Salesforce", "Jira", "Slack", "Zoom (EU)", "Ünïcode app"]), onelogin_rules()),
        max_size=3,
    )
