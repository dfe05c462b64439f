"""Secrets pasted into manifests. A rule's text is sent to the vendor and shown in every plan and
pull-request comment, so a value shaped like a well-known token, or holding the value of one of the
config's credential variables, is refused where it stands, before any request. Only shapes with a
distinctive prefix are looked for: a false alarm would stop a run for nothing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reconciler.engine.model import DesiredState
from reconciler.errors import Problem
from reconciler.project.config import Config
from reconciler.safetext import MIN_SECRET_LENGTH

TOKEN_SHAPES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (kind, pattern, the literals of which every match holds one: a quick look for them comes first)
    ("an AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", ("AKIA", "ASIA")),
    (
        "a GitHub token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    ("a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", ("xox",)),
    ("a private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", ("-----BEGIN ",)),
    ("a Stripe secret key", r"\b[rs]k_live_[A-Za-z0-9]{16,}", ("k_live_",)),
    ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b", ("AIza",)),
    ("a JSON Web Token", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", ("eyJ",)),
)
_SHAPES = re.compile("|".join(f"(?P<s{index}>{shape[1]})" for index, shape in enumerate(TOKEN_SHAPES)))
# Searching for plain literals is ten times quicker than for the shapes, and nearly no rule holds one.
_LITERALS = re.compile("|".join(re.escape(literal) for shape in TOKEN_SHAPES for literal in shape[2]))
ADVICE = "a manifest is sent to the vendor and shown in every plan: keep secrets out of rules"


def credential_values(config: Config, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The value of each credential variable that is set, to the variable's name (every target's: a
    production key pasted into a staging manifest counts too)."""
    env = os.environ if environ is None else environ
    names = sorted({ref.env for target in config.targets.values() for ref in target.spec.credentials.values()})
    return {value: name for name in names if len(value := env.get(name, "")) >= MIN_SECRET_LENGTH}


def _strings(node: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, [*path, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, [*path, index])


def _texts(node: Any, out: list[str]) -> list[str]:
    """Every string value under `node`, without its path: the quick first look at a body."""
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, dict):
        for value in node.values():
            _texts(value, out)
    elif isinstance(node, list):
        for value in node:
            _texts(value, out)
    return out


# A NUL joins the values of a body for the quick look: neither a token shape's literal nor a
# credential (an environment variable's value) holds one, so none is found across two values.
_JOIN = "\0"


def value_problem(text: str, credentials: Mapping[str, str], config_name: str = "the config") -> str | None:
    """Why this value must not be in a manifest, or None. Never quotes the value."""
    for value, variable in credentials.items():
        if value in text:
            return f"holds the value of {variable}, a credential variable of {config_name}; {ADVICE}"
    found = _SHAPES.search(text)
    if found is None:
        return None
    kind = TOKEN_SHAPES[int(str(found.lastgroup)[1:])][0]
    return f"looks like {kind}; {ADVICE}"


def body_problems(
    body: dict[str, Any], credentials: Mapping[str, str], config_name: str = "the config"
) -> list[tuple[Sequence[str | int], str]]:
    """(field path, message) for each value of a rule's body that looks like a secret."""
    joined = _JOIN.join(_texts(body, []))
    if _LITERALS.search(joined) is None and not any(value in joined for value in credentials):
        return []
    return [
        (path, message)
        for path, text in _strings(body, [])
        if (message := value_problem(text, credentials, config_name))
    ]


def secret_problems(state: DesiredState, config: Config) -> list[Problem]:
    """Every secret-looking value of every desired rule, located in its manifest."""
    credentials = credential_values(config)
    found: dict[int, list[tuple[Sequence[str | int], str]]] = {}  # a body shared by the targets of a file
    problems = []
    for scope in state.scopes.values():
        for rule in scope.rules:
            body = rule.body
            if (in_body := found.get(id(body))) is None:
                in_body = found[id(body)] = body_problems(body, credentials, config.shown_as)
            problems += [rule.problem(path, message) for path, message in in_body]
    return problems
