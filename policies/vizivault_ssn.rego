# METADATA
# title: ViziVault rules on SSN alert at a high level
# description: >-
#   A ViziVault alert rule whose constraints name the SSN attribute must alert at WARNING or
#   DANGER (deny below that); below DANGER it is a warning.
# custom:
#   owner: data-governance
package reconciler.vizivault

import rego.v1

high_levels := {"WARNING", "DANGER"}

deny contains finding if {
	some rule in ssn_alerts_below(input, high_levels)
	finding := {
		"msg": sprintf(`ViziVault rule "%s" alerts on SSN at %s; it must alert at WARNING or DANGER`, [rule.identity, rule.rule.action.alertLevel]),
		"address": rule.address,
	}
}

warn contains finding if {
	some rule in ssn_alerts_below(input, {"DANGER"})
	finding := {
		"msg": sprintf(`ViziVault rule "%s" alerts on SSN at %s; DANGER is recommended`, [rule.identity, rule.rule.action.alertLevel]),
		"address": rule.address,
	}
}

# The ViziVault alert rules on SSN whose level is not one of `levels`.
ssn_alerts_below(doc, levels) := [rule |
	some rule in doc.desired
	rule.provider == "vizivault"
	rule.rule.action.type == "alert"
	names_ssn(rule.rule.constraint)
	not rule.rule.action.alertLevel in levels
]

# A constraint names SSN itself or in any nested all/any constraint.
names_ssn(constraint) if {
	some node in walk_constraints(constraint)
	node.type == "attribute"
	node.operator == "any"
	"SSN" in node.attributes
}

walk_constraints(constraint) := [node | walk(constraint, [_, node]); is_object(node); node.type]
