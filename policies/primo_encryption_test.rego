package reconciler.primo_test

import rego.v1

import data.reconciler.primo

encryption(statuses) := {
	"address": "primo-prod/primo/MDM_CONTROL_ENCRYPTION", "identity": "MDM_CONTROL_ENCRYPTION",
	"provider": "primo", "target": "primo-prod", "rule": {"type": "MDM_CONTROL_ENCRYPTION", "nonCompliantStatus": statuses},
}

test_without_not_encrypted_is_denied if {
	count(primo.encryption_alerts_off({"desired": [encryption(["MISSING_RECOVERY_KEY"])], "plan": null})) == 1
}

test_with_not_encrypted_passes if {
	count(primo.encryption_alerts_off({"desired": [encryption(["NOT_ENCRYPTED"])], "plan": null})) == 0
}

test_disabling_is_denied if {
	plan := {"scopes": [{"provider": "primo", "target": "primo-prod", "changes": [
		{"action": "delete", "identity": "MDM_CONTROL_ENCRYPTION", "address": "primo-prod/primo/MDM_CONTROL_ENCRYPTION"},
	]}]}
	count(primo.encryption_alerts_off({"desired": [], "plan": plan})) == 1
}
