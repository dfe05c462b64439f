# METADATA
# title: Primo disk encryption alerts stay on
# description: >-
#   Every Primo target keeps alerting on unencrypted disks: its MDM_CONTROL_ENCRYPTION rule lists
#   NOT_ENCRYPTED, and no plan disables it.
# custom:
#   owner: it-endpoint
package reconciler.primo

import rego.v1

deny := encryption_alerts_off(input)

encryption_alerts_off(doc) := array.concat(weakened(doc), disabled(doc))

weakened(doc) := [finding |
	some rule in doc.desired
	rule.provider == "primo"
	rule.identity == "MDM_CONTROL_ENCRYPTION"
	not "NOT_ENCRYPTED" in rule.rule.nonCompliantStatus
	finding := {
		"msg": sprintf("Primo target %s must alert on NOT_ENCRYPTED disks", [rule.target]),
		"address": rule.address,
	}
]

disabled(doc) := [finding |
	some scope in doc.plan.scopes
	scope.provider == "primo"
	some change in scope.changes
	change.identity == "MDM_CONTROL_ENCRYPTION"
	change.action == "delete"
	finding := {
		"msg": sprintf("the plan disables disk encryption alerts of Primo target %s", [scope.target]),
		"address": change.address,
	}
]
