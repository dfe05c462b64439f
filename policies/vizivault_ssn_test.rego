package reconciler.vizivault_test

import rego.v1

import data.reconciler.vizivault

ssn_rule(level) := {"address": "vault-prod/vizivault/ssn", "identity": "ssn", "provider": "vizivault", "rule": {
	"type": "activity",
	"constraint": {"type": "all", "constraints": [{"type": "attribute", "operator": "any", "attributes": ["SSN"]}]},
	"action": {"type": "alert", "alertLevel": level, "message": "m"},
}}

test_info_level_is_denied if {
	count(vizivault.alerts_below(vizivault.ssn_alerts_in({"desired": [ssn_rule("INFO")]}), vizivault.high_levels)) == 1
}

test_warning_level_passes_deny_and_warns if {
	count(vizivault.alerts_below(vizivault.ssn_alerts_in({"desired": [ssn_rule("WARNING")]}), vizivault.high_levels)) == 0
	count(vizivault.alerts_below(vizivault.ssn_alerts_in({"desired": [ssn_rule("WARNING")]}), {"DANGER"})) == 1
}

test_danger_level_passes if {
	count(vizivault.alerts_below(vizivault.ssn_alerts_in({"desired": [ssn_rule("DANGER")]}), {"DANGER"})) == 0
}

test_other_attributes_pass if {
	rule := json.patch(ssn_rule("INFO"), [{"op": "replace", "path": "/rule/constraint/constraints/0/attributes", "value": ["EMAIL"]}])
	count(vizivault.ssn_alerts_in({"desired": [rule]})) == 0
}
