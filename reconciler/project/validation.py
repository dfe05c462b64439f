"""Turn pydantic validation errors into located, readable problems."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reconciler.engine.model import format_field_path
from reconciler.errors import Problem, suggest
from reconciler.project.yamlsource import node_location

M = TypeVar("M", bound=BaseModel)


@cache
def known_field_names(model: type[BaseModel]) -> frozenset[str]:
    """Every property name anywhere in a model's schema: the vocabulary for 'did you mean'."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                names.update(props)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(model.model_json_schema())
    return frozenset(names)


def _yaml_path(loc: Sequence[str | int], data: Any, kind: str = "missing") -> list[str | int]:
    """pydantic's error path as a path in the YAML data: union branch names are not keys, so drop them."""
    names_a_field = kind in ("missing", "extra_forbidden")  # else a trailing unknown name is a union branch
    path: list[str | int] = []
    node = data
    for index, step in enumerate(loc):
        if (isinstance(node, dict) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        ):
            node = node[step]
        elif names_a_field and isinstance(node, dict) and step not in node and index == len(loc) - 1:
            pass  # a missing or unknown field: keep the name, it is what the user must see
        else:
            continue
        path.append(step)
    return path


# pydantic's wording for a wrong kind of value, in the words people use for YAML.
PLAIN_MESSAGES = {
    "dict_type": "must be a mapping of fields",
    "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields",
    "list_type": "must be a list",
    "string_type": "must be a text string",
    "string_too_short": "must not be empty",
    "too_short": "must not be empty",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
}


def _message(error: Any, vocabulary: Iterable[str]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        name = str(error["loc"][-1])
        return f"unknown field {name!r}{suggest(name, vocabulary)}"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        ctx = error["ctx"]
        tags = re.findall(r"'([^']*)'", ctx["expected_tags"])
        hint = suggest(str(ctx["tag"]), tags) or f"; expected one of {', '.join(tags)}"
        return f"{ctx['tag']!r} is not a known type{hint}"
    if kind == "union_tag_not_found":
        return f"required field {error['ctx']['discriminator']} is missing"
    if value is None and "input" in error and kind != "value_error":
        return "is empty (null); give a value"
    if kind in ("literal_error", "enum"):
        expected = error.get("ctx", {}).get("expected", "")
        choices = re.findall(r"'([^']*)'", expected)
        if len(choices) > 8:
            hint = suggest(str(value), choices) or " (`reconciler schema` lists them)"
            return f"{value!r} is not one of the {len(choices)} allowed values{hint}"
        return f"{value!r} is not allowed; expected {expected}"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if kind in PLAIN_MESSAGES:
        return PLAIN_MESSAGES[kind]
    if kind == "string_pattern_mismatch":
        return f"{value!r} does not match the pattern {error['ctx']['pattern']}"
    message = str(error["msg"]).replace("Input should be", "must be", 1)
    scalar = isinstance(value, str | int | float | bool)
    return f"{message} (got {value!r})" if scalar and message.startswith("must be") else message


def validate_model(
    model: type[M],
    data: Any,
    *,
    root: Any,
    file: str,
    base: Sequence[str | int] = (),
    field_prefix: Sequence[str | int] = (),
    other_names: Iterable[str] = (),
) -> tuple[M | None, list[Problem]]:
    """Validate `data` (found at `base` inside the YAML `root`); problems point at file:line:col.

    `other_names`: fields valid beside the model's (read elsewhere), also offered as 'did you mean'."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        vocabulary = known_field_names(model) | frozenset(other_names)
        for error in exc.errors():
            loc = _yaml_path(error["loc"], data, error["type"])
            if error["type"] == "union_tag_invalid":
                loc.append(error["ctx"]["discriminator"].strip("'"))  # point at the wrong type itself
            if error["type"] == "missing" or (loc and loc[-1] not in _keys_at(data, loc[:-1])):
                where = node_location(root, [*base, *loc[:-1]], file)
            else:
                where = node_location(root, [*base, *loc], file, at_value=error["type"] != "extra_forbidden")
            problems.append(Problem(where, format_field_path([*field_prefix, *loc]), _message(error, vocabulary)))
        return None, problems


def _keys_at(data: Any, path: Sequence[str | int]) -> Any:
    node = data
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return ()
    if isinstance(node, dict):
        return node.keys()
    if isinstance(node, list):
        return range(len(node))
    return ()
