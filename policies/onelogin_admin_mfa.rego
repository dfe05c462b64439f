# METADATA
# title: OneLogin admin roles need MFA
# description: >-
#   A OneLogin rule that grants an admin role must also require MFA, or apply only to users who
#   already hold an approved role. With `match: any` a condition guards nothing, so the rule must
#   match all of its conditions.
# custom:
#   owner: identity-team
package reconciler.onelogin

import rego.v1

# Role ids that carry admin rights, and those whose holders may be given them.
admin_roles := {"340476"}

approved_roles := {"340475"}

# Condition sources that prove a second factor.
mfa_sources := {"mfa_device", "has_mfa", "otp_device"}

# An array, not a set: rego-cpp builds sets in quadratic time, arrays in linear time.
deny := admin_without_mfa(input)

# Functions of the document, so that tests can call them with a crafted document.
admin_without_mfa(doc) := [finding |
	some rule in doc.desired
	rule.provider == "onelogin"
	some action in rule.rule.actions
	action.action == "set_role"
	some role in action.value
	role in admin_roles
	not guarded(rule.rule)
	finding := {
		"msg": sprintf(`OneLogin rule "%s" grants admin role %s without an MFA condition`, [rule.identity, role]),
		"address": rule.address,
	}
]

guarded(rule) if {
	object.get(rule, "match", "all") == "all"
	some condition in rule.conditions
	guarding(condition)
}

guarding(condition) if condition.source in mfa_sources

guarding(condition) if {
	condition.source == "has_role"
	condition.value in approved_roles
}
