"""A pull request's plan sends the credentials only where the base branch's config says."""

from __future__ import annotations

from pathlib import Path

from reconciler.project.config import load_config
from reconciler.project.trusted import pin_to_base

BASE = """\
version: 1
targets:
  vault:
    provider: vizivault
    url: https://vault.example.com/v1/
    credentials: {api_key: {env: VAULT_KEY}}
  primo:
    provider: primo
    url: https://api.getprimo.com
    credentials: {api_key: {env: PRIMO_KEY}}
"""


def configs(tmp_path: Path, head: str) -> tuple[Path, Path]:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "reconciler.yaml").write_text(head, encoding="utf-8")
    return tmp_path / "reconciler.yaml", tmp_path / "base.yaml"


def test_a_changed_url_or_credential_is_planned_with_the_base_branchs(tmp_path: Path) -> None:
    head, base = configs(
        tmp_path,
        BASE.replace("https://vault.example.com/v1/", "https://attacker.example/").replace("PRIMO_KEY", "VAULT_KEY"),
    )
    targets, warnings, problems = pin_to_base(load_config(head).select(()), base, {"vault", "primo"})
    assert problems == []
    assert [t.resolve_url() for t in targets] == ["https://vault.example.com/v1/", "https://api.getprimo.com"]
    assert targets[1].spec.credentials["api_key"].env == "PRIMO_KEY"
    assert warnings[0].startswith("target 'vault': this pull request changes its url; it is planned with the base")
    assert warnings[1].startswith("target 'primo': this pull request changes its credentials;")


def test_a_target_new_in_the_pull_request_is_refused_only_when_read(tmp_path: Path) -> None:
    extra = "  new:\n    provider: primo\n    url: https://elsewhere.example\n    credentials: {api_key: {env: K}}\n"
    head, base = configs(tmp_path, BASE + extra)
    targets = load_config(head).select(())
    kept, _, problems = pin_to_base(targets, base, {"vault"})
    assert problems == [] and len(kept) == 3  # no manifests for it: never contacted, nothing to refuse
    _, _, problems = pin_to_base(targets, base, {"new"})
    assert [str(p).split(" ", 1)[0].endswith("reconciler.yaml:11:3") for p in problems] == [True]
    assert "the base branch has no primo target of this name" in str(problems[0])


def test_without_a_base_config_no_target_is_trusted(tmp_path: Path) -> None:
    head, _ = configs(tmp_path, BASE)
    _, _, problems = pin_to_base(load_config(head).select(()), tmp_path / "missing.yaml", {"vault", "primo"})
    assert len(problems) == 2
