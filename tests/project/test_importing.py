"""Import without an API: live rules in manifest form, new files, in-place updates, the round-trip law."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine.model import LiveRule, LiveScope, ScopeRef
from reconciler.engine.planner import plan_scope
from reconciler.errors import InputError
from reconciler.project.config import Config, load_config
from reconciler.project.importing.importer import Importer, ImportPlan, scopes_from_apps
from reconciler.project.importing.live_form import manifest_form
from reconciler.project.loader import load_desired
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.providers.primo import PrimoProvider
from reconciler.providers.vizivault import ViziVaultProvider

CONFIG = """\
version: 1
targets:
  primo-prod: {provider: primo, url: https://primo.invalid, credentials: {api_key: {env: K}}}
  vault-prod: {provider: vizivault, url: https://vault.invalid, credentials: {api_key: {env: K}}}
  ol: {provider: onelogin, url: https://ol.invalid, credentials: {client_id: {env: K}, client_secret: {env: K}}}
  ol-eu: {provider: onelogin, url: https://eu.invalid, credentials: {client_id: {env: K}, client_secret: {env: K}}}
"""

APP = "app:500100"


def offline_project(tmp_path: Path, files: dict[str, str] | None = None) -> Config:
    (tmp_path / "reconciler.yaml").write_text(CONFIG, encoding="utf-8")
    for name, text in (files or {}).items():
        path = tmp_path / "rules" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return load_config(tmp_path / "reconciler.yaml")


def ol_live(rule_id: int, name: str, value: str = "1", *, enabled: bool = True) -> LiveRule:
    body = {
        "id": rule_id,
        "position": rule_id,
        "name": name,
        "match": "all",
        "enabled": enabled,
        "conditions": [{"source": "has_role", "operator": "ri", "value": value}],
        "actions": [{"action": "set_role", "value": ["9"], "expression": "", "macro": None}],
    }
    return LiveRule(name, body, {"id": rule_id})


def primo_live(type_: str, statuses: list[str]) -> LiveRule:
    return LiveRule(type_, {"type": type_, "nonCompliantStatus": statuses}, {"type": type_}, tombstone=not statuses)


def vault_live(key: str, **extra: Any) -> LiveRule:
    body = {
        "key": key,
        "name": f"Rule {key}",
        "type": "data",
        "constraint": {"type": "geo", "operator": "any", "countries": ["DE", "FR", "IE"], "subdivisions": None},
        "action": {"type": "regulation", "regulation": "GDPR"},
        "executionOrder": 1,
        "createdDate": "2020-01-01T04:00:00Z",
        "modifiedDate": "2020-09-25T01:10:02Z",
        **extra,
    }
    return LiveRule(key, body, {"key": key, "name": body["name"]})


def run_import(
    config: Config,
    target: str,
    scopes: dict[str, list[LiveRule]],
    *,
    titles: dict[str, str] | None = None,
    drop_missing: bool = False,
    write: bool = True,
) -> ImportPlan:
    provider = config.targets[target].provider_class
    imported = [
        manifest_form(provider, LiveScope(ScopeRef(target, scope), rules), (titles or {}).get(scope, scope))
        for scope, rules in scopes.items()
    ]
    importer = Importer(config, config.targets[target], provider, config.rules_dir / target, drop_missing=drop_missing)
    result = importer.run(imported, whole_tenant=False)
    if write:
        result.write()
    return result


def assert_plan_is_empty(config: Config, target: str, scopes: dict[str, list[LiveRule]]) -> None:
    """The round-trip law: the manifests now say exactly what is live."""
    provider = config.targets[target].provider_class
    desired = load_desired(config, [config.targets[target]])
    for scope, rules in scopes.items():
        ref = ScopeRef(target, scope)
        plan = plan_scope(provider, desired.scope(ref), LiveScope(ref, rules), prune=True)
        assert plan.changes == [], [(c.action, c.identity, c.fields) for c in plan.changes]


def comments(text: str) -> list[str]:
    return [m.group(0).strip() for m in re.finditer(r"#[^\n]*", text)]


def test_new_files_leave_out_server_fields_and_defaults(tmp_path: Path) -> None:
    config = offline_project(tmp_path)
    scopes = {APP: [ol_live(2, "Second"), ol_live(1, "First", "340475", enabled=False)]}
    result = run_import(config, "ol", scopes, titles={APP: "Sales Force (EU)"})
    assert [w.shown for w in result.writes] == ["rules/ol/sales-force-eu.yaml"]
    text = (tmp_path / "rules/ol/sales-force-eu.yaml").read_text()
    assert text == (
        "# Imported from ol with `reconciler import`: Sales Force (EU).\n"
        "target: ol\n"
        "app: 500100\n"
        "rules:\n"
        "  - name: Second\n"
        "    conditions:\n"
        '      - {source: has_role, operator: ri, value: "1"}\n'
        "    actions:\n"
        '      - {action: set_role, value: ["9"]}\n'
        "\n"
        "  - name: First\n"
        "    enabled: false\n"
        "    conditions:\n"
        '      - {source: has_role, operator: ri, value: "340475"}\n'
        "    actions:\n"
        '      - {action: set_role, value: ["9"]}\n'
    )
    assert_plan_is_empty(config, "ol", scopes)


@pytest.mark.parametrize(
    ("target", "rules", "expected_file"),
    [
        (
            "primo-prod",
            [primo_live("MDM_ONLINE", ["OFFLINE_7_DAYS"]), primo_live("MDM_ENROLLMENT", ["PENDING", "MDM_OFF"])],
            "compliance-alert-rules.yaml",
        ),
        ("vault-prod", [vault_live("b"), vault_live("a", executionOrder=3)], "rules.yaml"),
    ],
)
def test_unordered_providers_write_rules_sorted_by_identity(
    tmp_path: Path, target: str, rules: list[LiveRule], expected_file: str
) -> None:
    config = offline_project(tmp_path)
    provider = config.targets[target].provider_class
    scope = provider.name
    result = run_import(config, target, {scope: rules}, titles={scope: provider.scope_label(scope)})
    assert [w.shown for w in result.writes] == [f"rules/{target}/{expected_file}"]
    desired = load_desired(config, [config.targets[target]])
    identities = [r.identity for r in desired.scope(ScopeRef(target, scope)).rules]
    assert identities == sorted(r.identity for r in rules)
    text = (tmp_path / "rules" / target / expected_file).read_text()
    assert "createdDate" not in text and "subdivisions" not in text
    assert_plan_is_empty(config, target, {scope: rules})


def test_vizivault_execution_order_is_written_only_when_not_the_server_default(tmp_path: Path) -> None:
    config = offline_project(tmp_path)
    run_import(config, "vault-prod", {"vizivault": [vault_live("a"), vault_live("b", executionOrder=4)]})
    desired = load_desired(config, [config.targets["vault-prod"]]).scope(ScopeRef("vault-prod", "vizivault"))
    assert [r.body.get("executionOrder") for r in desired.rules] == [None, 4]


def test_tombstones_duplicates_and_unwritable_rules_are_not_imported(tmp_path: Path) -> None:
    config = offline_project(tmp_path)
    broken = ol_live(3, "No actions")
    broken.body["actions"] = []
    scopes = {APP: [ol_live(1, "Twin"), ol_live(2, "Twin", "2"), broken]}
    result = run_import(config, "ol", scopes)
    assert any("'Twin': another live rule" in w for w in result.warnings)
    assert any("'No actions': cannot be written as a manifest rule (actions:" in w for w in result.warnings)
    primo = run_import(
        config, "primo-prod", {"primo": [primo_live("MDM_ONLINE", []), primo_live("MDM_ENROLLMENT", ["PENDING"])]}
    )
    assert "MDM_ONLINE" not in primo.writes[0].after


SALESFORCE = """\
# Rules of the Salesforce app. Their order here is their position in OneLogin.
target: ol
app: 500100   # Salesforce
rules:
  # Admins first: they must win over everything else
  - name: Admins
    match: all  # written out on purpose
    conditions:
      - {source: has_role, operator: ri, value: 340475}  # bare: the same as "340475"
    actions:
      - {action: set_role, value: ["9"]}

  # Sales
  - name: Sales
    conditions:
      - {source: department, operator: "=", value: Sales}
    actions:
      - {action: set_role, value: ["9"]}

  # Dormant accounts
  - name: Dormant
    conditions:
      - {source: has_role, operator: ri, value: "90"}  # days
    actions:
      - {action: set_role, value: ["9"]}
# end of file
"""


def test_equivalent_manifests_are_not_rewritten(tmp_path: Path) -> None:
    config = offline_project(tmp_path, {"onelogin/salesforce.yaml": SALESFORCE})
    sales = ol_live(2, "Sales", "Sales")
    sales.body["conditions"][0].update(source="department", operator="=")
    scopes = {APP: [ol_live(1, "Admins", "340475"), sales, ol_live(3, "Dormant", "90")]}
    result = run_import(config, "ol", scopes)
    assert result.writes == [] and result.not_live == [] and result.warnings == []


def test_update_changes_only_what_differs_and_keeps_every_comment(tmp_path: Path) -> None:
    config = offline_project(tmp_path, {"onelogin/salesforce.yaml": SALESFORCE})
    scopes = {
        APP: [
            ol_live(1, "Dormant", "60"),  # changed, and now first
            ol_live(2, "Admins", "340475"),
            ol_live(3, "Contractors", "7", enabled=False),  # new
        ]
    }
    result = run_import(config, "ol", scopes)
    assert [(w.shown, w.summary) for w in result.writes] == [
        ("rules/onelogin/salesforce.yaml", "1 added, 1 changed, reordered")
    ]
    assert result.not_live == ["rules/onelogin/salesforce.yaml:14:5: 'Sales'"]
    text = (tmp_path / "rules/onelogin/salesforce.yaml").read_text()
    assert sorted(comments(text)) == sorted(comments(SALESFORCE))
    # Comments above a rule move with it; the one at the end stays at the end.
    assert "  # Dormant accounts\n  - name: Dormant\n" in text
    assert '      - {source: has_role, operator: ri, value: "60"}  # days\n' in text
    assert "    match: all  # written out on purpose\n" in text
    assert text.endswith('      - {action: set_role, value: ["9"]}\n# end of file\n')
    desired = load_desired(config, [config.targets["ol"]]).scope(ScopeRef("ol", APP))
    assert [r.identity for r in desired.rules] == ["Dormant", "Sales", "Admins", "Contractors"]
    # Sales is in the manifest but not live: everything else matches.
    without_sales = desired.rules[:1] + desired.rules[2:]
    desired.rules = without_sales
    plan = plan_scope(OneLoginProvider, desired, LiveScope(ScopeRef("ol", APP), scopes[APP]), prune=True)
    assert plan.changes == []


def test_drop_missing_removes_rules_that_are_not_live_with_their_comments(tmp_path: Path) -> None:
    config = offline_project(tmp_path, {"onelogin/salesforce.yaml": SALESFORCE})
    scopes = {APP: [ol_live(1, "Admins", "340475"), ol_live(3, "Dormant", "90")]}
    result = run_import(config, "ol", scopes, drop_missing=True)
    assert result.writes[0].summary == "1 removed"
    text = (tmp_path / "rules/onelogin/salesforce.yaml").read_text()
    assert "name: Sales" not in text and "department" not in text
    assert set(comments(SALESFORCE)) - set(comments(text)) == {"# Sales"}
    assert_plan_is_empty(config, "ol", scopes)


def test_order_free_lists_keep_the_users_order_and_spelling(tmp_path: Path) -> None:
    manifest = """\
target: vault-prod
rules:
  - key: eu
    name: EU data
    type: data
    constraint:
      type: all
      constraints:
        - type: attribute   # names first
          operator: any
          attributes: [NAME, EMAIL]
        - type: geo
          operator: any
          countries: [de, FR, NL, IE]  # lower case is fine
    action: {type: regulation, regulation: GDPR}
    executionOrder: 1
"""
    config = offline_project(tmp_path, {"vizivault/pii.yaml": manifest})
    live = vault_live(
        "eu",
        name="EU data",
        constraint={
            "type": "all",
            "constraints": [
                {"type": "geo", "operator": "any", "countries": ["IE", "FR", "DE"]},
                {"type": "attribute", "operator": "any", "attributes": ["EMAIL", "NAME"]},
            ],
        },
    )
    result = run_import(config, "vault-prod", {"vizivault": [live]})
    text = (tmp_path / "rules/vizivault/pii.yaml").read_text()
    assert result.writes[0].summary == "1 changed"
    # Only the country list changed (ruamel keeps the comment's column); the pinned executionOrder stays.
    assert text.replace("[de, FR, IE]      #", "[de, FR, IE]  #") == manifest.replace(
        "[de, FR, NL, IE]", "[de, FR, IE]"
    )
    assert_plan_is_empty(config, "vault-prod", {"vizivault": [live]})


def test_a_file_of_several_targets_is_never_edited(tmp_path: Path) -> None:
    shared = (
        "targets: [ol, ol-eu]\napp: 500100\nrules:\n  - name: Admins\n    actions: [{action: set_role, value: ['1']}]\n"
    )
    config = offline_project(tmp_path, {"shared.yaml": shared})
    scopes = {APP: [ol_live(1, "New"), ol_live(2, "Admins", "340475")]}
    result = run_import(config, "ol", scopes, titles={APP: "Salesforce"})
    assert [w.shown for w in result.writes] == ["rules/ol/salesforce.yaml"]
    assert (tmp_path / "rules/shared.yaml").read_text() == shared
    assert result.warnings == [
        "rules/shared.yaml:4:5: 'Admins' differs from live, but the file also manages ol-eu: not changed"
    ]


def test_apps_with_the_same_name_get_files_of_their_own(tmp_path: Path) -> None:
    config = offline_project(tmp_path)
    scopes = {"app:1": [ol_live(1, "A")], "app:2": [ol_live(2, "B")]}
    result = run_import(config, "ol", scopes, titles={"app:1": "Jira", "app:2": "Jira"})
    assert [w.shown for w in result.writes] == ["rules/ol/jira.yaml", "rules/ol/jira-app-2.yaml"]
    assert_plan_is_empty(config, "ol", scopes)
    again = run_import(config, "ol", scopes, titles={"app:1": "Jira", "app:2": "Jira"})
    assert again.writes == []


def test_indentation_of_an_existing_file_is_kept(tmp_path: Path) -> None:
    manifest = "target: primo-prod\nrules:\n-   type: MDM_ONLINE\n    nonCompliantStatus:\n    -   OFFLINE_7_DAYS\n"
    config = offline_project(tmp_path, {"p.yaml": manifest})
    run_import(config, "primo-prod", {"primo": [primo_live("MDM_ONLINE", ["OFFLINE_7_DAYS", "PENDING"])]})
    text = (tmp_path / "rules/p.yaml").read_text()
    assert text == manifest + "    -   PENDING\n"


def test_dry_run_diff_shows_new_and_changed_files(tmp_path: Path) -> None:
    config = offline_project(tmp_path, {"onelogin/salesforce.yaml": SALESFORCE})
    scopes = {APP: [ol_live(1, "Admins", "340475"), ol_live(2, "Sales", "x"), ol_live(3, "Dormant", "90")]}
    result = run_import(config, "ol", scopes, write=False)
    diff = result.diff()
    assert "--- a/rules/onelogin/salesforce.yaml\n+++ b/rules/onelogin/salesforce.yaml\n" in diff
    assert (tmp_path / "rules/onelogin/salesforce.yaml").read_text() == SALESFORCE


def test_app_ids_are_scopes_of_onelogin_only() -> None:
    assert scopes_from_apps(OneLoginProvider, [5, 7, 5], "cli") == ["app:5", "app:7"]
    with pytest.raises(InputError, match="primo targets have no apps"):
        scopes_from_apps(PrimoProvider, [5], "cli")


def test_to_manifest_of_each_provider() -> None:
    assert ViziVaultProvider.to_manifest(vault_live("k", executionOrder=1).body) == {
        "key": "k",
        "name": "Rule k",
        "type": "data",
        "constraint": {"type": "geo", "operator": "any", "countries": ["DE", "FR", "IE"]},
        "action": {"type": "regulation", "regulation": "GDPR"},
    }
    assert OneLoginProvider.to_manifest(ol_live(1, "R", enabled=False).body) == {
        "name": "R",
        "enabled": False,
        "conditions": [{"source": "has_role", "operator": "ri", "value": "1"}],
        "actions": [{"action": "set_role", "value": ["9"]}],
    }
    assert OneLoginProvider.scope_header(APP) == {"app": 500100}
    assert PrimoProvider.scope_header("primo") == {}


def test_an_order_that_files_cannot_hold_is_reported(tmp_path: Path) -> None:
    shared = (
        "targets: [ol, ol-eu]\napp: 500100\nrules:\n  - name: Admins\n    actions: [{action: set_role, value: ['9']}]\n"
    )
    config = offline_project(tmp_path, {"shared.yaml": shared})
    result = run_import(config, "ol", {APP: [ol_live(1, "Admins", "340475"), ol_live(2, "New")]})
    assert any(
        "the live order of rules spans rules/ol/app-500100.yaml, rules/shared.yaml" in w for w in result.warnings
    )


def test_an_inline_rules_list_is_edited_in_place_or_rewritten_as_blocks(tmp_path: Path) -> None:
    inline = "target: primo-prod\nrules: [{type: MDM_ONLINE, nonCompliantStatus: [OFFLINE_7_DAYS]}]  # all\n"
    config = offline_project(tmp_path, {"p.yaml": inline})
    run_import(config, "primo-prod", {"primo": [primo_live("MDM_ONLINE", ["PENDING"])]})
    edited = (tmp_path / "rules/p.yaml").read_text()
    assert re.sub(r" +#", " #", edited) == re.sub(r" +#", " #", inline.replace("OFFLINE_7_DAYS", "PENDING"))
    live = [primo_live("MDM_ONLINE", ["PENDING"]), primo_live("MDM_ENROLLMENT", ["MDM_OFF"])]
    run_import(config, "primo-prod", {"primo": live})
    assert_plan_is_empty(config, "primo-prod", {"primo": live})
    empty = "target: primo-prod\nrules: []  # nothing yet\n"
    (tmp_path / "rules/p.yaml").write_text(empty)
    run_import(config, "primo-prod", {"primo": live})
    edited = re.sub(r" +#", " #", (tmp_path / "rules/p.yaml").read_text())
    assert edited.startswith("target: primo-prod\nrules: # nothing yet\n  - type: MDM_ENROLLMENT\n")
    assert_plan_is_empty(config, "primo-prod", {"primo": live})
