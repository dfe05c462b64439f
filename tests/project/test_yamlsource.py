"""The fast loader gives the same data and the same line/column for every node as ruamel's
round-trip loader (whose positions the error messages were written against)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bench.validate import onelogin_rule, vault_rule
from reconciler.errors import InputError
from reconciler.project.yamlsource import YamlMap, YamlSeq, load_yaml, node_location, parse_yaml, plain

ROOT = Path(__file__).resolve().parents[2]
TEXTS = {
    "scalars": (
        "a: yes\nb: 0o12\nc: 012\nd: 1_000\ne: on\nf: '5'\ng: 2030-01-01\nh: ~\ni: 1.5\nj: 2.50\n"
        "k: 0x1F\nl: -3\nm: 1e3\nn: null\no: True\np: \"x\"\nr: ''\n"
    ),
    "layout": (
        "# comment\ntarget: x   # c\n\nrules:\n  # lead\n  - key: a\n    list:\n    - 1\n    -   2\n"
        "    - [a,\n       b]\n    map: {a: 1,\n      b: 2}\n  -\n    k: v\n  - >\n    folded\n  - |\n    lit\n"
    ),
    "nested sequences": "- a\n- - b\n  - c\n-   d: 1\n    e: 2\n",
    "generated rules": "rules:\n" + vault_rule(1) + onelogin_rule(2) + vault_rule(3),
    "yaml 1.2 only": "value: [:0]\nother: [a, :b]\n",
    **{p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "rules").rglob("*.yaml"))},
}


def _empty(value: Any) -> bool:
    # A value left empty (`key:`) is null. ruamel places it where the next token starts (often the
    # next line); libyaml just after the colon, on the key's own line, which is where an editor
    # should point: the one deliberate difference (see test_an_empty_value_is_located_after_its_key).
    return value is None


def same_positions(expected: Any, got: Any, path: list[Any]) -> None:
    if isinstance(expected, CommentedMap):
        assert isinstance(got, YamlMap), path
        assert (got.lc.line, got.lc.col) == (expected.lc.line, expected.lc.col), path
        assert list(got) == list(expected), path
        for key in expected:
            compared = 2 if _empty(expected[key]) else 4
            assert got.lc.data[key][:compared] == tuple(expected.lc.data[key][:compared]), [*path, key]
            same_positions(expected[key], got[key], [*path, key])
    elif isinstance(expected, CommentedSeq):
        assert isinstance(got, YamlSeq), path
        assert (got.lc.line, got.lc.col) == (expected.lc.line, expected.lc.col), path
        for index, item in enumerate(expected):
            if not _empty(item):
                assert got.lc.item(index) == tuple(expected.lc.data[index]), [*path, index]
            same_positions(item, got[index], [*path, index])


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_same_data_and_positions_as_the_round_trip_loader(name: str) -> None:
    expected = YAML(typ="rt").load(TEXTS[name])
    got = parse_yaml(TEXTS[name])
    assert plain(got) == plain(expected)
    same_positions(expected, got, [])


def test_yaml_1_2_scalars() -> None:
    data = parse_yaml(TEXTS["scalars"] + "q: !!str 7\n")  # an explicit tag: ruamel keeps a TaggedScalar
    assert (data["a"], data["e"], data["c"], data["k"], data["m"], data["q"]) == ("yes", "on", 12, 31, 1000.0, "7")
    assert data["h"] is None and data["o"] is True and data["f"] == "5"


def test_anchors_and_merge_keys() -> None:
    data = parse_yaml("base: &b {x: 1, y: 2}\ncopy: *b\nmerged:\n  <<: *b\n  y: 3\n")
    assert plain(data) == {"base": {"x": 1, "y": 2}, "copy": {"x": 1, "y": 2}, "merged": {"y": 3, "x": 1}}
    assert node_location(data, ["merged", "y"], "f").line == 5


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ("target: primo-test\nrules:\n  - type: [\n", (4, 1), "expected the node content"),
        ("rules:\n  - a: 1\n    a: 2\n", (3, 5), 'found duplicate key "a"'),
        ("a: b: c\n", (1, 5), "mapping values are not allowed here"),
        # A second document would silently replace the first (its rules dropped): refused, located.
        ("target: x\nrules: []\n---\ntarget: y\n", (3, 1), "a second YAML document starts here"),
        ("target: x\n---\n", (2, 1), "a second YAML document starts here"),
    ],
)
def test_errors_are_located_as_before(tmp_path: Path, text: str, where: tuple[int, int], reason: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_yaml(path, "bad.yaml")
    [problem] = caught.value.problems
    assert (problem.location.line, problem.location.column) == where
    assert reason in problem.message


def test_an_empty_value_is_located_after_its_key() -> None:
    data = parse_yaml("rules:\n  - type:\n    nonCompliantStatus: []\n")
    assert data["rules"][0]["type"] is None
    assert node_location(data, ["rules", 0, "type"], "f", at_value=True).line == 2


def test_empty_documents_are_none() -> None:
    assert parse_yaml("") is None
    assert parse_yaml("# nothing but a comment\n") is None


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
)
_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-0123456789 :#'\"", min_size=1, max_size=8)
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(document=st.dictionaries(_keys, _documents, min_size=1, max_size=4), flow=st.booleans())
def test_any_document_ruamel_writes_loads_the_same_both_ways(document: dict[str, Any], flow: bool) -> None:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = None if flow else False
    out = io.StringIO()
    yaml.dump(document, out)
    text = out.getvalue()
    try:
        expected = YAML(typ="rt").load(text)
    except YAMLError:
        reject()  # ruamel wrote what it cannot read back (e.g. the flow key ':0'): not this loader's case
    got = parse_yaml(text)
    assert plain(got) == plain(expected)
    same_positions(expected, got, [])
