"""Bad inputs at the YAML level (any file the reconciler reads), and in manifests, configs and the rules
folder. Each case names the class it must end in and a fragment of its message (see `harness`).

Texts that are easier to read as files live in `data/`; the rest are generated here, one per variant.
"""

from __future__ import annotations

import codecs
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.corpus.harness import CONFIG, LOCATED, REFUSED, Case

DATA = Path(__file__).parent / "data"
MANIFEST = "rules/bad.yaml"
CONFIG_FILE = "reconciler.yaml"

PRIMO_HEAD = b"target: primo-test\nrules:\n"
PRIMO_RULE = b"  - type: MDM_ENROLLMENT\n    nonCompliantStatus: [PENDING]\n"
ONELOGIN_HEAD = b"target: onelogin-test\napp: 500100\nrules:\n"
VAULT_HEAD = b"target: vault-test\nrules:\n"


def _bomb(levels: int = 9) -> bytes:
    """A billion-laughs document: each level names the one below it nine times (9**9 nodes expanded)."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def _nested(depth: int, flow: bool) -> bytes:
    if flow:
        return b"deep: " + b"[" * depth + b"x" + b"]" * depth + b"\n"
    return b"deep:\n" + b"".join(b"  " * (level + 1) + b"- \n" for level in range(depth - 1)) + b"  " * depth + b"- x\n"


# Texts wrong whatever file they are in: (name, text appended to a valid file, message).
YAML_TEXTS: list[tuple[str, bytes, str]] = [
    ("second-document-empty", b"---\n", "a second YAML document starts here"),
    ("second-document-rules", b"---\ntarget: primo-test\nrules: []\n", "a second YAML document"),
    ("document-end-then-more", b"...\n---\nx: 1\n", "a second YAML document"),
    ("latin-1-byte", "# caf\xe9\n".encode("latin-1"), "not UTF-8 text: byte 0xE9"),
    ("invalid-byte-ff", b"# \xff\n", "not UTF-8 text: byte 0xFF"),
    ("truncated-utf-8", b"# \xe2\x82\n", "not UTF-8 text"),
    ("overlong-utf-8", b"# \xc0\xaf\n", "not UTF-8 text"),
    ("cesu-surrogate", b"# \xed\xa0\x80\n", "not UTF-8 text"),
    ("undefined-alias", b"extra: *nowhere\n", "alias *nowhere names no anchor"),
    ("alias-before-anchor", b"a: *later\nb: &later 1\n", "names no anchor"),
    ("self-alias-list", b"loop: &loop [*loop]\n", "a cycle"),
    ("self-alias-map", b"loop: &loop {me: *loop}\n", "a cycle"),
    ("billion-laughs", _bomb(), "an alias bomb"),
    ("alias-bomb-merge", _bomb(7) + b"m: {<<: *l6}\n", "an alias bomb"),
    ("int-tag-ten", b'n: !!int "ten"\n', "cannot be read as !!int"),
    ("float-tag-abc", b"n: !!float abc\n", "cannot be read as !!float"),
    ("bool-tag-maybe", b"n: !!bool maybe\n", "cannot be read as !!bool"),
    ("null-tag-value", b"n: !!null x\n", "cannot be read as !!null"),
    ("timestamp-tag-month-13", b"n: !!timestamp 2030-13-45\n", "cannot be read as !!timestamp"),
    ("binary-tag", b'n: !!binary "aGVsbG8="\n', "tag tag:yaml.org,2002:binary is not supported"),
    ("python-object-tag", b"n: !!python/object/apply:os.system [ls]\n", "is not supported"),
    ("custom-tag", b"n: !secret x\n", "tag !secret is not supported"),
    ("set-tag", b"n: !!set {a, b}\n", "is not supported"),
    ("omap-tag", b"n: !!omap [a: 1]\n", "is not supported"),
    ("str-tag-on-list", b"n: !!str [1]\n", "is not supported"),
    ("nan", b"n: .nan\n", ".nan is not a finite number"),
    ("inf", b"n: .inf\n", "is not a finite number"),
    ("minus-inf", b"n: -.Inf\n", "is not a finite number"),
    ("float-overflow", b"n: 1e999\n", "1e999 is not a finite number"),
    ("nan-tagged", b"n: !!float .NaN\n", "is not a finite number"),
    ("huge-int", b"n: " + b"9" * 60 + b"\n", "cannot be read as !!int"),
    ("merge-of-scalar", b"m: {<<: 5}\n", "a merge key `<<` takes"),
    ("nested-101-flow", _nested(101, flow=True), "nest more than 100 levels"),
    ("nested-300-flow", _nested(300, flow=True), "nest more than 100 levels"),
    ("nested-120-block", _nested(120, flow=False), "nest more than 100 levels"),
    ("nul-byte", b"n: a\x00b\n", "character U+0000 is not allowed"),
    ("escape-in-plain", b"n: a\x1b[31mred\n", "character U+001B is not allowed"),
    ("rtl-override-raw", "n: abc\u202edef\n".encode(), "character U+202E is not allowed"),
    ("isolate-raw", "n: \u2066x\u2069\n".encode(), "character U+2066 is not allowed"),
    ("c1-control-raw", "n: a\x9bb\n".encode(), "character U+009B is not allowed"),
    ("del-raw", b"n: a\x7fb\n", "character U+007F is not allowed"),
    ("escaped-nul", b'n: "a\\0b"\n', "character U+0000 is not allowed in a value"),
    ("escaped-esc", b'n: "\\e[2J\\e[H"\n', "character U+001B is not allowed in a value"),
    ("escaped-rtl", b'n: "abc\\u202Edef"\n', "character U+202E is not allowed in a value"),
    ("escaped-bell", b'n: "\\a"\n', "character U+0007 is not allowed in a value"),
    ("escaped-backspace", b'n: "abc\\b\\b\\bxyz"\n', "character U+0008 is not allowed in a value"),
    ("escaped-cr", b'n: "ok\\rFAKE"\n', "character U+000D is not allowed in a value"),
    ("escaped-c1", b'n: "\\x9b31m"\n', "character U+009B is not allowed in a value"),
    ("escaped-surrogate", b'n: "\\ud800"\n', "character U+D800 is not allowed in a value"),
    ("unclosed-flow", b"n: [a, b\n", "YAML syntax error"),
    ("tab-indent", b"n:\n\t- a\n", "YAML syntax error"),
    ("mapping-in-scalar", b"n: a: b\n", "YAML syntax error"),
]
# Raw control characters, each its own case: C0 but tab, line feed and carriage return.
CONTROL_CODES = [code for code in range(0x20) if code not in (0x09, 0x0A, 0x0D)]
BOMS = [
    ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
    ("utf-32-le", codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    ("utf-32-be", codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
]


def yaml_cases() -> list[Case]:
    cases = []
    for name, text, message in YAML_TEXTS:
        manifest = PRIMO_HEAD + PRIMO_RULE + text
        cases.append(Case(f"manifest/{name}", "manifest", LOCATED, message, {MANIFEST: manifest}))
        cases.append(Case(f"config/{name}", "config", LOCATED, message, {CONFIG_FILE: CONFIG + text}))
    for code in CONTROL_CODES:
        text = PRIMO_HEAD + PRIMO_RULE + b"# a" + bytes([code]) + b"b\n"
        message = f"character U+{code:04X} is not allowed"
        cases.append(Case(f"manifest/control-{code:02x}", "manifest", LOCATED, message, {MANIFEST: text}))
    for name, bom, encoding, label in BOMS:
        text = bom + (PRIMO_HEAD + PRIMO_RULE).decode().encode(encoding)
        cases.append(Case(f"manifest/{name}", "manifest", LOCATED, f"is {label}-encoded", {MANIFEST: text}))
        cases.append(Case(f"config/{name}", "config", LOCATED, f"is {label}-encoded", {CONFIG_FILE: bom + CONFIG}))
    utf16_without_bom = (PRIMO_HEAD + PRIMO_RULE).decode().encode("utf-16-le")
    cases.append(
        Case("manifest/utf-16-no-bom", "manifest", LOCATED, "U+0000 is not allowed", {MANIFEST: utf16_without_bom})
    )
    # A bad manifest read after good ones (the project's good.yaml sorts first): refused before any
    # request by plan and apply alike, although the good ones name scopes that could be read already.
    late = "rules/zz-late.yaml"
    for command in (("plan",), ("apply", "--auto-approve")):
        text = PRIMO_HEAD + b"  - type: MDM_ONLINE\n    nonCompliantStatus: [PENDNG]\n"
        message = "PENDNG"
        cases.append(
            Case(f"manifest/late-after-good-{command[0]}", "manifest", LOCATED, message, {late: text}, command=command)
        )
    for path in sorted(DATA.glob("*.yaml")):
        expected = path.with_suffix(".expected").read_text(encoding="utf-8").strip()
        cases.append(Case(f"manifest/{path.stem}", "manifest", LOCATED, expected, {MANIFEST: path.read_bytes()}))
    return cases


def _config_with(old: bytes, new: bytes) -> dict[str, bytes]:
    assert old in CONFIG, old
    return {CONFIG_FILE: CONFIG.replace(old, new, 1)}


PRIMO_TARGET = b"    provider: primo\n"
# (name, the config's text replaced, its replacement, message)
CONFIG_EDITS: list[tuple[str, bytes, bytes, str]] = [
    ("rules-dir-misspelt", b"version: 1\n", b"version: 1\nrules_dir: rulez\n", "'rulez' folder not found"),
    ("rules-dir-key-misspelt", b"version: 1\n", b"version: 1\nrule_dir: rules\n", "unknown field 'rule_dir'"),
    ("rules-dir-empty-name", b"version: 1\n", b"version: 1\nrules_dir: reconciler.yaml\n", "is not a folder"),
    ("version-2", b"version: 1\n", b"version: 2\n", "version"),
    ("targets-list", b"targets:\n  primo-test:", b"targets: []\nother:\n  primo-test:", "unknown field 'other'"),
    ("provider-misspelt", PRIMO_TARGET, b"    provider: primoo\n", "primoo"),
    ("prune-yes", b"    prune: true\n", b"    prune: 'yes'\n", "must be true or false"),
    ("prune-one", b"    prune: true\n", b"    prune: 1\n", "must be true or false"),
    ("concurrency-true", PRIMO_TARGET, PRIMO_TARGET + b"    concurrency: true\n", "must be a whole number"),
    ("concurrency-text", PRIMO_TARGET, PRIMO_TARGET + b"    concurrency: '16'\n", "must be a whole number"),
    ("concurrency-zero", PRIMO_TARGET, PRIMO_TARGET + b"    concurrency: 0\n", "concurrency"),
    ("timeout-text", PRIMO_TARGET, PRIMO_TARGET + b"    timeout: '30'\n", "must be a number"),
    ("timeout-infinite", PRIMO_TARGET, PRIMO_TARGET + b"    timeout: .inf\n", "not a finite number"),
    ("timeout-negative", PRIMO_TARGET, PRIMO_TARGET + b"    timeout: -1\n", "timeout"),
    ("retry-for-negative", PRIMO_TARGET, PRIMO_TARGET + b"    retry_for: -5\n", "retry_for"),
    ("max-change-share-2", PRIMO_TARGET, PRIMO_TARGET + b"    max_change_share: 2\n", "max_change_share"),
    ("max-delete-share-negative", PRIMO_TARGET, PRIMO_TARGET + b"    max_delete_share: -0.1\n", "max_delete_share"),
    ("max-update-share-text", PRIMO_TARGET, PRIMO_TARGET + b"    max_update_share: lots\n", "must be a number"),
    ("protect-string", PRIMO_TARGET, PRIMO_TARGET + b"    protect: MDM_ENROLLMENT\n", "must be a list"),
    ("credentials-empty", b"      api_key: {env: PRIMO_API_KEY}\n", b"      {}\n", "credentials"),
    ("credential-misspelt", b"      api_key: {env: PRIMO", b"      apikey: {env: PRIMO", "did you mean 'api_key'"),
    ("credential-literal", b"{env: PRIMO_API_KEY}", b"sekret-literal-value", "never a literal secret"),
    ("credential-env-name-bad", b"{env: PRIMO_API_KEY}", b"{env: 'PRIMO KEY'}", "does not match the pattern"),
    ("target-name-space", b"  primo-test:\n", b"  'primo test':\n", "target names use letters"),
]


def config_cases() -> list[Case]:
    cases = []
    for name, old, new, message in CONFIG_EDITS:
        cases.append(Case(f"config/{name}", "config", LOCATED, message, _config_with(old, new)))
    return cases


def _dangling_link(root: Path) -> None:
    os.symlink(root / "gone.yaml", root / "rules" / "bad.yaml")


def _fifo(root: Path) -> None:
    os.mkfifo(root / "rules" / "bad.yaml")


def _rules_is_a_file(root: Path) -> None:
    shutil.rmtree(root / "rules")
    (root / "rules").write_text("not a folder\n", encoding="utf-8")
    (root / CONFIG_FILE).write_bytes(CONFIG.replace(b"version: 1\n", b"version: 1\nrules_dir: rules\n"))


def _link_loop(root: Path) -> None:
    os.symlink(root / "rules" / "loop.yaml", root / "rules" / "bad.yaml")
    os.symlink(root / "rules" / "bad.yaml", root / "rules" / "loop.yaml")


def _dangling_folder_link(root: Path) -> None:
    (root / "shared").mkdir()
    os.symlink(root / "shared", root / "rules" / "team")  # a folder of manifests, linked in...
    (root / "shared").rmdir()  # ...then moved away: the link is left, naming nothing


def _dangling_link_without_suffix(root: Path) -> None:
    os.symlink(root / "gone", root / "rules" / "team")


DISCOVERY: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("dangling-folder-link", _dangling_folder_link, "what it named is missing (a folder of manifests?)", "rules/team"),
    ("dangling-link-no-suffix", _dangling_link_without_suffix, "broken symbolic link (to ", "rules/team"),
    ("dangling-link", _dangling_link, "broken symbolic link", MANIFEST),
    ("fifo", _fifo, "not a regular file", MANIFEST),
    ("rules-dir-is-a-file", _rules_is_a_file, "is not a folder", CONFIG_FILE),
    ("link-loop", _link_loop, "broken symbolic link", MANIFEST),
]


def discovery_cases() -> list[Case]:
    return [
        Case(f"discovery/{name}", "discovery", expect, message, setup=setup, where=where)
        for name, setup, message, where in DISCOVERY
        for expect in [LOCATED if where == CONFIG_FILE else REFUSED]
    ]
