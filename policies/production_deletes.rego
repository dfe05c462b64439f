# METADATA
# title: Production deletes need the allow-delete label
# description: >-
#   A plan that deletes (or, for Primo, disables) rules in a production target is refused unless
#   the pull request carries the `allow-delete` label.
# custom:
#   owner: platform-team
package reconciler.production

import rego.v1

deny := unlabelled_deletes(input)

production(target) if endswith(target, "-prod")

production(target) if startswith(target, "prod")

unlabelled_deletes(doc) := [finding |
	not "allow-delete" in doc.git.labels
	some scope in doc.plan.scopes
	production(scope.target)
	some change in scope.changes
	change.action == "delete"
	finding := {
		"msg": sprintf(`the plan deletes "%s" in production target %s (%s) without the allow-delete label`, [change.identity, scope.target, scope.label]),
		"address": change.address,
	}
]
