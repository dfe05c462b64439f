"""A saved plan edited after it was made is never applied: `apply FILE` plans again from the manifests,
the config's guards and the live rules, and refuses a file whose plan differs, without a single write."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project
from tests.integration.console import primo_upsert
from tests.integration.settings import configure

# MDM_ENROLLMENT is protected and no longer in the manifests: with prune, the plan would disable it,
# and the protect guard refuses the plan.
RULES = "target: primo-test\nrules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE, OFFLINE_7_DAYS]}\n"


def saved_plan(project: Project) -> Path:
    primo = project.tenant("primo-test")
    primo.upsert_rule("MDM_ONLINE", ["OFFLINE"])
    primo.upsert_rule("MDM_ENROLLMENT", ["PENDING"])
    configure(project, ["primo-test"], protect=["MDM_ENROLLMENT"], prune=True)
    project.write("rules/p.yaml", RULES)
    out = project.root / "plan.json"
    assert project.run("plan", "--out", str(out)).exit_code == 0
    return out


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def changes(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["scopes"][0]["changes"]


def no_refusals(data: dict[str, Any]) -> None:
    data["refusals"] = []


def update_to_delete(data: dict[str, Any]) -> None:
    update = next(c for c in changes(data) if c["action"] == "update")
    update["action"] = "delete"


def compliant_status(data: dict[str, Any]) -> None:
    next(c for c in changes(data) if c["action"] == "update")["body"]["nonCompliantStatus"] = ["ONLINE"]


def extra_field(data: dict[str, Any]) -> None:
    next(c for c in changes(data) if c["action"] == "update")["body"]["note"] = "x"


def other_type(data: dict[str, Any]) -> None:
    next(c for c in changes(data) if c["action"] == "update")["body"]["type"] = "MDM_CONTROL_WIFI"


def only_the_disable(data: dict[str, Any]) -> None:
    data["refusals"] = []
    data["scopes"][0]["changes"] = [c for c in changes(data) if c["action"] == "delete"]


@pytest.mark.parametrize(
    ("edited", "named"),
    [
        (no_refusals, "guards tripped: the plan file has none, a plan made now has protect (primo-test)"),
        (update_to_delete, 'the file has delete "MDM_ONLINE", a plan made now has update'),
        (compliant_status, 'the file has update "MDM_ONLINE", a plan made now has another update'),
        (extra_field, 'the file has update "MDM_ONLINE", a plan made now has another update'),
        (other_type, 'the file has update "MDM_ONLINE", a plan made now has another update'),
        (only_the_disable, 'a plan made now has update "MDM_ONLINE", the file does not'),
    ],
)
def test_an_edited_plan_file_is_refused(project: Project, edited: Callable[[dict[str, Any]], None], named: str) -> None:
    saved = saved_plan(project)
    edit(saved, edited)
    writes = project.sandbox.stats.writes

    result = project.run("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    assert "plan is stale, run plan again" in result.output and named in result.output
    assert project.sandbox.stats.writes == writes
    assert project.tenant("primo-test").rules["MDM_ENROLLMENT"]["nonCompliantStatus"] == ["PENDING"]


def test_dropped_live_fingerprints_do_not_turn_off_the_staleness_check(project: Project) -> None:
    saved = saved_plan(project)
    edit(saved, lambda data: data["fingerprints"].update(live={}))
    primo_upsert(project, "primo-test", "MDM_ONLINE", ["OFFLINE_7_DAYS"])  # changed after the plan
    writes = project.sandbox.stats.writes

    result = project.run("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    assert "live rules of primo-test · compliance alert rules have no fingerprint in the plan file" in result.output
    assert project.sandbox.stats.writes == writes
    assert project.tenant("primo-test").rules["MDM_ONLINE"]["nonCompliantStatus"] == ["OFFLINE_7_DAYS"]


def test_an_unedited_plan_applies_and_prune_given_to_plan_is_kept(project: Project) -> None:
    primo = project.tenant("primo-test")
    primo.upsert_rule("MDM_ONLINE", ["OFFLINE"])
    primo.upsert_rule("MDM_ENROLLMENT", ["PENDING"])
    project.write("rules/p.yaml", RULES)  # prune is off in the config: only `plan --prune` disables
    out = project.root / "plan.json"
    assert project.run("plan", "--prune", "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text())["prune"] is True

    result = project.run("apply", str(out), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "2 applied, 0 failed" in result.output
    assert primo.rules["MDM_ENROLLMENT"]["nonCompliantStatus"] == []
    assert primo.rules["MDM_ONLINE"]["nonCompliantStatus"] == ["OFFLINE", "OFFLINE_7_DAYS"]
