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

deny := [finding |
	some rule in alerts_below(ssn_alerts, high_levels)
	finding := {
		"msg": sprintf(`ViziVault rule "%s" alerts on SSN at %s; it must alert at WARNING or DANGER`, [rule.identity, rule.rule.action.alertLevel]),
		"address": rule.address,
	}
]

warn := [finding |
	some rule in alerts_below(ssn_alerts, {"DANGER"})
	finding := {
		"msg": sprintf(`ViziVault rule "%s" alerts on SSN at %s; DANGER is recommended`, [rule.identity, rule.rule.action.alertLevel]),
		"address": rule.address,
	}
]

# The ViziVault alert rules on SSN, found once for deny and warn.
ssn_alerts := ssn_alerts_in(input)

ssn_alerts_in(doc) := [rule |
	some rule in doc.desired
	rule.provider == "vizivault"
	rule.rule.action.type == "alert"
	names_ssn(rule.rule.constraint)
]

alerts_below(alerts, levels) := [rule |
	some rule in alerts
	not rule.rule.action.alertLevel in levels
]

# A constraint names SSN itself, or in a nested all/any constraint (three levels deep: Rego has no
# recursion, and walk() costs more than these lookups).
names_ssn(constraint) if ssn_attribute(constraint)

names_ssn(constraint) if {
	some child in constraint.constraints
	ssn_attribute(child)
}

names_ssn(constraint) if {
	some child in constraint.constraints
	some grandchild in child.constraints
	ssn_attribute(grandchild)
}

ssn_attribute(constraint) if {
	constraint.type == "attribute"
	constraint.operator == "any"
	"SSN" in constraint.attributes
}
