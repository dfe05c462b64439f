package reconciler.onelogin_test

import rego.v1

import data.reconciler.onelogin

rule(body) := {"address": "onelogin-prod/app:1/r", "identity": "r", "provider": "onelogin", "rule": body}

grant_admin := [{"action": "set_role", "value": ["340476"]}]

test_admin_role_by_department_is_denied if {
	body := {"conditions": [{"source": "department", "operator": "=", "value": "IT"}], "actions": grant_admin}
	findings := onelogin.admin_without_mfa({"desired": [rule(body)]})
	count(findings) == 1
	findings[0].address == "onelogin-prod/app:1/r"
}

test_admin_role_with_mfa_passes if {
	body := {"conditions": [{"source": "mfa_device", "operator": "=", "value": "yes"}], "actions": grant_admin}
	count(onelogin.admin_without_mfa({"desired": [rule(body)]})) == 0
}

test_approved_role_holders_pass if {
	body := {"conditions": [{"source": "has_role", "operator": "ri", "value": "340475"}], "actions": grant_admin}
	count(onelogin.admin_without_mfa({"desired": [rule(body)]})) == 0
}

test_match_any_guards_nothing if {
	conditions := [{"source": "mfa_device", "operator": "=", "value": "yes"}, {"source": "title", "operator": "~", "value": "x"}]
	body := {"match": "any", "conditions": conditions, "actions": grant_admin}
	count(onelogin.admin_without_mfa({"desired": [rule(body)]})) == 1
}

test_other_roles_pass if {
	body := {"conditions": [], "actions": [{"action": "set_role", "value": ["1"]}]}
	count(onelogin.admin_without_mfa({"desired": [rule(body)]})) == 0
}
