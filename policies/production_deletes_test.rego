package reconciler.production_test

import rego.v1

import data.reconciler.production

plan_deleting(target) := {"scopes": [{
	"target": target, "scope": "vizivault", "label": "rules",
	"changes": [{"action": "delete", "identity": "r", "address": concat("/", [target, "vizivault", "r"])}],
}]}

test_production_delete_without_label_is_denied if {
	findings := production.unlabelled_deletes({"plan": plan_deleting("vault-prod"), "git": {"labels": []}})
	count(findings) == 1
	findings[0].address == "vault-prod/vizivault/r"
}

test_production_delete_with_label_passes if {
	doc := {"plan": plan_deleting("vault-prod"), "git": {"labels": ["allow-delete"]}}
	count(production.unlabelled_deletes(doc)) == 0
}

test_staging_delete_passes if {
	count(production.unlabelled_deletes({"plan": plan_deleting("vault-staging"), "git": {"labels": []}})) == 0
}

test_validate_has_no_plan if {
	count(production.unlabelled_deletes({"plan": null, "git": {"labels": []}})) == 0
}

# The deny rule itself, with the whole input mocked as `opa test` does.
test_deny_rule_with_mocked_input if {
	doc := {"plan": plan_deleting("onelogin-prod"), "git": {"labels": ["documentation"]}}
	count(production.deny) == 1 with input as doc
}
