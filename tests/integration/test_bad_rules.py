"""Bad rules, one per row, for all three providers: `validate` finds each with its message and place,
and the same rule sent straight to the sandbox gets the vendor's status code and message.

Each row's `local` is every error line `validate` prints for it (file rules/bad.yaml, one rule at
`rules[0]`); OneLogin rows run `validate --remote`, since sources, operators, actions and closed
values are each app's own.
"""

# ruff: noqa: E501, UP031 - one bad rule per row reads best as a table; '%' keeps YAML's braces plain

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from ruamel.yaml import YAML

from reconciler.sandbox import SandboxServer
from tests.conftest import Project, make_project
from tests.sandbox.helpers import onelogin_client, primo_client, vault_client


@dataclass(frozen=True)
class Bad:
    provider: str
    rule: str  # one rule, as YAML under `rules:`
    status: int  # what the vendor answers
    api: str | tuple[str, str]  # its message; OneLogin: (field, message) of the 422's errors
    local: tuple[str, ...]  # every `validate` error: "line:column field: message"


OK_CONSTRAINT = "{type: attribute, operator: any, attributes: [NAME]}"


def vault(constraint: str = OK_CONSTRAINT, action: str = "{type: block}", type: str = "data", extra: str = "") -> str:
    return f"{{key: k, name: n, type: {type}, constraint: {constraint}, action: {action}{extra}}}"


def primo(body: str) -> str:
    return "{" + body + "}"


def onelogin(body: str) -> str:
    """A OneLogin rule named 'r', or with a leading '!' exactly `body` (for rules about the name)."""
    return "{name: r, " + body + "}" if not body.startswith("!") else "{" + body[1:] + "}"


GEO = "{type: geo, operator: any, %s}"
ACT = "{type: all, constraints: [%s]}"
OK_COND = "{source: has_role, operator: ri, value: '340475'}"
OK_ACT = "{action: set_role, value: ['340475']}"

# fmt: off
CASES: dict[str, Bad] = {
    # ---- ViziVault: the reference's error table, then the rest of the rule language
    "v-key-missing": Bad("vizivault", "{name: n, type: data, constraint: %s, action: {type: block}}" % OK_CONSTRAINT, 400, "Rule key is required", ('3:5 rules[0].key: required field is missing',)),
    "v-key-empty": Bad("vizivault", vault().replace("key: k", "key: ''"), 400, "Rule key is required", ('3:11 rules[0].key: must not be empty',)),
    "v-constraint-missing": Bad("vizivault", "{key: k, name: n, type: data, action: {type: block}}", 400, "Rule constraint must be specified as an object", ('3:5 rules[0].constraint: required field is missing',)),
    "v-constraint-string": Bad("vizivault", vault(constraint="attribute"), 400, "Rule constraint must be specified as an object", ('3:47 rules[0].constraint: must be a mapping of fields',)),
    "v-action-missing": Bad("vizivault", "{key: k, name: n, type: data, constraint: %s}" % OK_CONSTRAINT, 400, "Rule action must be specified as an object", ('3:5 rules[0].action: required field is missing',)),
    "v-action-list": Bad("vizivault", vault(action="[block]"), 400, "Rule action must be specified as an object", ('3:101 rules[0].action: must be a mapping of fields',)),
    "v-constraint-type-missing": Bad("vizivault", vault(constraint="{operator: any, attributes: [NAME]}"), 400, "Constraint type must be specified as a string", ("3:35 rules[0].constraint: required field 'type' is missing",)),
    "v-constraint-type-number": Bad("vizivault", vault(constraint="{type: 5, operator: any, attributes: [NAME]}"), 400, "Constraint type must be specified as a string", ("3:54 rules[0].constraint.type: '5' is not a known type; expected one of all, any, attribute, tag, regulation, geo, user, entityType, application, eventType, sentiment",)),
    "v-attribute-operator-missing": Bad("vizivault", vault(constraint="{type: attribute, attributes: [NAME]}"), 400, "Attribute constraint operator must be specified as a string", ('3:35 rules[0].constraint.operator: required field is missing',)),
    "v-tag-operator-number": Bad("vizivault", vault(constraint="{type: tag, operator: 3, tags: [pii]}"), 400, "Tag constraint operator must be specified as a string", ("3:69 rules[0].constraint.operator: 3 is not allowed; expected 'any', 'all' or 'none'",)),
    "v-regulation-operator-list": Bad("vizivault", vault(constraint="{type: regulation, operator: [any], regulations: [GDPR]}"), 400, "Regulation constraint operator must be specified as a string", ("3:66 rules[0].constraint.operator: ['any'] is not allowed; expected 'any', 'all' or 'none'",)),
    "v-geo-operator-missing": Bad("vizivault", vault(constraint="{type: geo, countries: [US]}"), 400, "Geolocation constraint operator must be specified as a string", ('3:35 rules[0].constraint.operator: required field is missing',)),
    "v-attribute-operator-all": Bad("vizivault", vault(constraint="{type: attribute, operator: all, attributes: [NAME]}"), 400, "Unsupported attribute list operator", ("3:75 rules[0].constraint.operator: 'all' is not allowed; expected 'any' or 'none'",)),
    "v-geo-operator-all": Bad("vizivault", vault(constraint="{type: geo, operator: all, countries: [US]}"), 400, "Unsupported geolocation list operator", ("3:69 rules[0].constraint.operator: 'all' is not allowed; expected 'any' or 'none'",)),
    "v-regulation-operator-some": Bad("vizivault", vault(constraint="{type: regulation, operator: some, regulations: [GDPR]}"), 400, "Unsupported regulation list operator", ("3:76 rules[0].constraint.operator: 'some' is not allowed; expected 'any', 'all' or 'none'",)),
    "v-tag-operator-every": Bad("vizivault", vault(constraint="{type: tag, operator: every, tags: [pii]}"), 400, "Unsupported tag list operator", ("3:69 rules[0].constraint.operator: 'every' is not allowed; expected 'any', 'all' or 'none'",)),
    "v-attributes-string": Bad("vizivault", vault(constraint="{type: attribute, operator: any, attributes: NAME}"), 400, "Constraint attribute list must be specified as an array", ('3:92 rules[0].constraint.attributes: must be a list',)),
    "v-tags-missing": Bad("vizivault", vault(constraint="{type: tag, operator: any}"), 400, "Constraint tag list must be specified as an array", ('3:35 rules[0].constraint.tags: required field is missing',)),
    "v-regulations-mapping": Bad("vizivault", vault(constraint="{type: regulation, operator: any, regulations: {GDPR: true}}"), 400, "Constraint regulation list must be specified as an array", ('3:81 rules[0].constraint.regulations: must be a list',)),
    "v-geo-empty": Bad("vizivault", vault(constraint="{type: geo, operator: any}"), 400, "Neither countries nor subdivisions specified for geolocation constraint", ("3:35 rules[0].constraint: a geo constraint needs 'countries' or 'subdivisions' (or both), and neither is given",)),
    "v-geo-empty-lists": Bad("vizivault", vault(constraint=GEO % "countries: [], subdivisions: []"), 400, "Neither countries nor subdivisions specified for geolocation constraint", ("3:35 rules[0].constraint: a geo constraint needs 'countries' or 'subdivisions' (or both), and neither is given",)),
    "v-geo-countries-string": Bad("vizivault", vault(constraint=GEO % "countries: US"), 400, "Geolocation constraint country list must be an array", ('3:85 rules[0].constraint.countries: must be a list',)),
    "v-geo-subdivisions-string": Bad("vizivault", vault(constraint=GEO % "subdivisions: US-NY"), 400, "Geolocation constraint subdivision list must be an array", ('3:88 rules[0].constraint.subdivisions: must be a list',)),
    "v-country-uk": Bad("vizivault", vault(constraint=GEO % "countries: [FR, UK]"), 400, "Countries for geolocation constraint must be specified as ISO 3166-1 two-letter codes", ("3:90 rules[0].constraint.countries[1]: 'UK' is not an ISO 3166-1 code (did you mean 'GB'?)",)),
    "v-country-alpha3": Bad("vizivault", vault(constraint=GEO % "countries: [USA]"), 400, "Countries for geolocation constraint must be specified as ISO 3166-1 two-letter codes", ("3:86 rules[0].constraint.countries[0]: 'USA' is not an ISO 3166-1 code (did you mean 'US'?)",)),
    "v-country-name": Bad("vizivault", vault(constraint=GEO % "countries: [Germany]"), 400, "Countries for geolocation constraint must be specified as ISO 3166-1 two-letter codes", ("3:86 rules[0].constraint.countries[0]: 'Germany' is not an ISO 3166-1 code (did you mean 'DE'?)",)),
    "v-country-unassigned": Bad("vizivault", vault(constraint=GEO % "countries: [XX]"), 400, "Countries for geolocation constraint must be specified as ISO 3166-1 two-letter codes", ("3:86 rules[0].constraint.countries[0]: 'XX' is not an ISO 3166-1 code (two letters, such as 'US')",)),
    "v-subdivision-unknown": Bad("vizivault", vault(constraint=GEO % "subdivisions: [US-NY, US-XX]"), 400, "Subdivisions for geolocation constraint must be specified as ISO 3166-2 hyphenated codes", ("3:96 rules[0].constraint.subdivisions[1]: 'US-XX' is not an ISO 3166-2 subdivision code (did you mean 'US-TX'?)",)),
    "v-subdivision-underscore": Bad("vizivault", vault(constraint=GEO % "subdivisions: [US_CA]"), 400, "Subdivisions for geolocation constraint must be specified as ISO 3166-2 hyphenated codes", ("3:89 rules[0].constraint.subdivisions[0]: 'US_CA' is not an ISO 3166-2 subdivision code (did you mean 'US-CA'?)",)),
    "v-subdivision-no-country": Bad("vizivault", vault(constraint=GEO % "countries: [US], subdivisions: [NY]"), 400, "Subdivisions for geolocation constraint must be specified as ISO 3166-2 hyphenated codes", ("3:106 rules[0].constraint.subdivisions[0]: 'NY' is not an ISO 3166-2 subdivision code (country code, hyphen, subdivision, such as 'US-NY')",)),
    "v-user-attribute-missing": Bad("vizivault", vault(constraint="{type: user, predicate: eq, value: x}"), 400, "Entity value constraint attribute must be specified as a string", ('3:35 rules[0].constraint.attribute: required field is missing',)),
    "v-user-attribute-number": Bad("vizivault", vault(constraint="{type: user, attribute: 5, predicate: eq, value: x}"), 400, "Entity value constraint attribute must be specified as a string", ('3:71 rules[0].constraint.attribute: must be a text string',)),
    "v-user-value-missing": Bad("vizivault", vault(constraint="{type: user, attribute: NAME, predicate: eq}"), 400, "No value specified for entity value constraint", ('3:35 rules[0].constraint.value: required field is missing',)),
    "v-user-value-null": Bad("vizivault", vault(constraint="{type: user, attribute: NAME, predicate: eq, value: null}"), 400, "No value specified for entity value constraint", ('3:99 rules[0].constraint.value: a value is required: what the attribute is compared with',)),
    "v-user-predicate": Bad("vizivault", vault(constraint="{type: user, attribute: NAME, predicate: like, value: x}"), 400, "Entity-value attribute constraint predicate like is not supported.", ("3:88 rules[0].constraint.predicate: 'like' is not one of the 11 allowed values (`reconciler schema` lists them)",)),
    "v-attribute-key-charset": Bad("vizivault", vault(constraint="{type: attribute, operator: any, attributes: [E-MAIL]}"), 422, "No such attribute", ("3:93 rules[0].constraint.attributes[0]: 'E-MAIL' does not match the pattern ^[A-Za-z0-9_]+$",)),
    "v-user-attribute-charset": Bad("vizivault", vault(constraint="{type: user, attribute: home address, predicate: eq, value: x}"), 422, "No such attribute", ("3:71 rules[0].constraint.attribute: 'home address' does not match the pattern ^[A-Za-z0-9_]+$",)),
    "v-constraint-type-unknown": Bad("vizivault", vault(constraint="{type: geolocation, operator: any, countries: [US]}"), 400, "Unrecognized constraint type", ("3:54 rules[0].constraint.type: 'geolocation' is not a known type (did you mean 'geo'?)",)),
    "v-nested-not-list": Bad("vizivault", vault(constraint="{type: all, constraints: %s}" % OK_CONSTRAINT), 400, "Constraint list of all constraint must be specified as an array", ('3:59 rules[0].constraint.constraints: must be a list',)),
    "v-nested-bad-country": Bad("vizivault", vault(constraint="{type: any, constraints: [%s, {type: all, constraints: [{type: geo, operator: none, countries: [EL]}]}]}" % OK_CONSTRAINT), 400, "Countries for geolocation constraint must be specified as ISO 3166-1 two-letter codes", ("3:193 rules[0].constraint.constraints[1].constraints[0].countries[0]: 'EL' is not an ISO 3166-1 code (did you mean 'GR'?)",)),
    "v-tag-in-activity": Bad("vizivault", vault(type="activity", constraint="{type: tag, operator: any, tags: [pii]}"), 400, "Tag constraints are only supported on data rules", ("3:58 rules[0].constraint.type: 'tag' constraints are only allowed in data rules (this one is 'activity')",)),
    "v-regulation-in-activity": Bad("vizivault", vault(type="activity", constraint=ACT % "{type: regulation, operator: any, regulations: [GDPR]}"), 400, "Regulation constraints are only supported on data rules", ("3:84 rules[0].constraint.constraints[0].type: 'regulation' constraints are only allowed in data rules (this one is 'activity')",)),
    "v-sentiment-in-activity": Bad("vizivault", vault(type="activity", constraint=ACT % "{type: sentiment, threshold: 0.5}"), 400, "Sentiment constraints are only supported on data rules", ("3:84 rules[0].constraint.constraints[0].type: 'sentiment' constraints are only allowed in data rules (this one is 'activity')",)),
    "v-eventtype-in-data": Bad("vizivault", vault(constraint=ACT % ("%s, {type: eventType, eventTypes: [READ]}" % OK_CONSTRAINT)), 400, "EventType constraints are only supported on activity rules", ("3:134 rules[0].constraint.constraints[1].type: 'eventType' constraints are only allowed in activity rules (this one is 'data')",)),
    "v-application-in-data": Bad("vizivault", vault(constraint="{type: application, operator: any, applications: [crm]}"), 400, "Application constraints are only supported on activity rules", ("3:54 rules[0].constraint.type: 'application' constraints are only allowed in activity rules (this one is 'data')",)),
    "v-eventtypes-unknown": Bad("vizivault", vault(type="activity", constraint="{type: eventType, eventTypes: [READ, WRITE]}"), 400, "Unsupported event type WRITE", ("3:88 rules[0].constraint.eventTypes[1]: 'WRITE' is not allowed; expected 'STORE', 'UPDATE', 'READ' or 'DELETE'",)),
    "v-eventtypes-string": Bad("vizivault", vault(type="activity", constraint="{type: eventType, eventTypes: READ}"), 400, "Constraint eventType list must be specified as an array", ('3:81 rules[0].constraint.eventTypes: must be a list',)),
    "v-entitytypes-string": Bad("vizivault", vault(constraint="{type: entityType, entityTypes: person}"), 400, "Constraint entityType list must be specified as an array", ('3:79 rules[0].constraint.entityTypes: must be a list',)),
    "v-sentiment-range": Bad("vizivault", vault(constraint="{type: sentiment, threshold: 2}"), 400, "Sentiment constraint threshold must be a number between -1 and 1", ('3:76 rules[0].constraint.threshold: must be less than or equal to 1 (got 2)',)),
    "v-sentiment-text": Bad("vizivault", vault(constraint="{type: sentiment, threshold: high}"), 400, "Sentiment constraint threshold must be a number between -1 and 1", ('3:76 rules[0].constraint.threshold: must be a number',)),
    "v-rule-type": Bad("vizivault", vault(type="both"), 400, "Rule type must be either data or activity", ("3:29 rules[0].type: 'both' is not allowed; expected 'data' or 'activity'",)),
    "v-name-missing": Bad("vizivault", "{key: k, type: data, constraint: %s, action: {type: block}}" % OK_CONSTRAINT, 400, "Rule name is required", ('3:5 rules[0].name: required field is missing',)),
    "v-action-type-unknown": Bad("vizivault", vault(action="{type: alrt, alertLevel: INFO, message: m}"), 400, "Unrecognized action type", ("3:116 rules[0].action.type: 'alrt' is not a known type (did you mean 'alert'?)",)),
    "v-action-type-missing": Bad("vizivault", vault(action="{alertLevel: INFO, message: m}"), 400, "Action type must be specified as a string", ("3:101 rules[0].action: required field 'type' is missing",)),
    "v-alert-level": Bad("vizivault", vault(action="{type: alert, alertLevel: HIGH, message: m}"), 400, "Unsupported alert level", ("3:135 rules[0].action.alertLevel: 'HIGH' is not allowed; expected 'INFO', 'WARNING', 'DANGER', 'SUCCESS', 'NEUTRAL' or 'NORMAL'",)),
    "v-alert-message-missing": Bad("vizivault", vault(action="{type: alert, alertLevel: INFO}"), 400, "Alert action message must be specified as a string", ('3:101 rules[0].action.message: required field is missing',)),
    "v-tag-action-tag-missing": Bad("vizivault", vault(action="{type: tag, status: on}"), 400, "Tag action tag must be specified as a string", ('3:101 rules[0].action.tag: required field is missing',)),
    "v-entitytag-action-tag-number": Bad("vizivault", vault(action="{type: entityTag, tag: 7}"), 400, "Entity tag action tag must be specified as a string", ('3:132 rules[0].action.tag: must be a text string',)),
    "v-regulation-action-missing": Bad("vizivault", vault(action="{type: regulation}"), 400, "Regulation action regulation must be specified as a string", ('3:101 rules[0].action.regulation: required field is missing',)),
    "v-prohibition-unknown": Bad("vizivault", vault(action="{type: prohibition, prohibitions: [READ, WRITE]}"), 400, "Unsupported prohibition WRITE", ("3:150 rules[0].action.prohibitions[1]: 'WRITE' is not allowed; expected 'READ', 'STORE', 'UPDATE' or 'DELETE'",)),
    "v-prohibitions-missing": Bad("vizivault", vault(action="{type: prohibition}"), 400, "Prohibition action prohibitions must be specified as an array", ('3:101 rules[0].action.prohibitions: required field is missing',)),
    "v-retention-empty": Bad("vizivault", vault(action="{type: retention, autoDelete: true}"), 400, "Retention action requires expirationDate, daysSinceStore or daysSinceRead", ("3:101 rules[0].action: a retention action needs 'expirationDate', 'daysSinceStore' or 'daysSinceRead'",)),
    "v-retention-date": Bad("vizivault", vault(action="{type: retention, expirationDate: next year}"), 400, "Retention action expirationDate must be an ISO 8601 date", ("3:143 rules[0].action.expirationDate: 'next year' is not an ISO 8601 date (such as '2030-01-31')",)),
    "v-retention-days-negative": Bad("vizivault", vault(action="{type: retention, daysSinceRead: -1}"), 400, "Retention action daysSinceRead must be a non-negative integer", ('3:142 rules[0].action.daysSinceRead: must be greater than or equal to 0 (got -1)',)),
    "v-retention-days-text": Bad("vizivault", vault(action="{type: retention, daysSinceStore: '30'}"), 400, "Retention action daysSinceStore must be a non-negative integer", ('3:143 rules[0].action.daysSinceStore: must be a whole number',)),
    "v-retention-autodelete": Bad("vizivault", vault(action="{type: retention, daysSinceStore: 30, autoDelete: 'yes'}"), 400, "Retention action autoDelete must be a boolean", ('3:159 rules[0].action.autoDelete: must be true or false',)),
    "v-execution-order": Bad("vizivault", vault(extra=", executionOrder: first"), 400, "Rule executionOrder must be an integer", ('3:140 rules[0].executionOrder: must be a whole number',)),
    "v-typo-operator": Bad("vizivault", vault(constraint="{type: attribute, operater: any, attributes: [NAME]}"), 400, "Attribute constraint operator must be specified as a string", ('3:35 rules[0].constraint.operator: required field is missing', "3:65 rules[0].constraint.operater: unknown field 'operater' (did you mean 'operator'?)")),
    # ---- Primo
    "p-type-unknown": Bad("primo", primo("type: MDM_ONLNE, nonCompliantStatus: [OFFLINE]"), 400, 'type must be one of the compliance rule types, got "MDM_ONLNE"', ("3:12 rules[0].type: 'MDM_ONLNE' is not one of the 27 allowed values (did you mean 'MDM_ONLINE'?)",)),
    "p-type-lowercase": Bad("primo", primo("type: mdm_online, nonCompliantStatus: [OFFLINE]"), 400, 'type must be one of the compliance rule types, got "mdm_online"', ("3:12 rules[0].type: 'mdm_online' is not one of the 27 allowed values (did you mean 'MDM_ONLINE'?)",)),
    "p-type-missing": Bad("primo", primo("nonCompliantStatus: [OFFLINE]"), 400, "type is required", ('3:5 rules[0].type: required field is missing',)),
    "p-type-null": Bad("primo", primo("type: null, nonCompliantStatus: [OFFLINE]"), 400, "type is required", ('3:12 rules[0].type: is empty (null); give a value',)),
    "p-status-missing": Bad("primo", primo("type: MDM_ONLINE"), 400, "nonCompliantStatus is required", ('3:5 rules[0].nonCompliantStatus: required field is missing',)),
    "p-status-typo-field": Bad("primo", primo("type: MDM_ONLINE, nonCompliantStatuses: [OFFLINE]"), 400, "nonCompliantStatus is required", ('3:5 rules[0].nonCompliantStatus: required field is missing', "3:24 rules[0].nonCompliantStatuses: unknown field 'nonCompliantStatuses' (did you mean 'nonCompliantStatus'?)")),
    "p-status-mapping": Bad("primo", primo("type: MDM_ONLINE, nonCompliantStatus: {OFFLINE: true}"), 400, "nonCompliantStatus must be an array", ('3:24 rules[0].nonCompliantStatus: must be a list',)),
    "p-status-unknown": Bad("primo", primo("type: MDM_ONLINE, nonCompliantStatus: [OFLINE]"), 400, 'each value in nonCompliantStatus must be a device status, got "OFLINE"', ("3:45 rules[0].nonCompliantStatus[0]: 'OFLINE' is not one of the 34 allowed values (did you mean 'OFFLINE'?)",)),
    "p-status-number": Bad("primo", primo("type: MDM_ONLINE, nonCompliantStatus: [OFFLINE, 5]"), 400, "each value in nonCompliantStatus must be a device status, got 5", ('3:54 rules[0].nonCompliantStatus[1]: 5 is not one of the 34 allowed values (`reconciler schema` lists them)',)),
    "p-status-compliant": Bad("primo", primo("type: MDM_ONLINE, nonCompliantStatus: [OFFLINE, ONLINE]"), 400, "nonCompliantStatus must not contain compliant statuses: ONLINE", ('3:24 rules[0].nonCompliantStatus: ONLINE is a compliant status; only non-compliant statuses can raise alerts',)),
    "p-status-compliants": Bad("primo", primo("type: MDM_CONTROL_ENCRYPTION, nonCompliantStatus: [ENCRYPTED, NOT_ENCRYPTED, SUCCESS]"), 400, "nonCompliantStatus must not contain compliant statuses: ENCRYPTED, SUCCESS", ('3:36 rules[0].nonCompliantStatus: ENCRYPTED, SUCCESS are compliant statuses; only non-compliant statuses can raise alerts',)),
    # ---- OneLogin (catalog checks need `validate --remote`)
    "o-name-missing": Bad("onelogin", onelogin("!actions: [%s]" % OK_ACT), 422, ("name", "Required field is missing"), ('4:5 rules[0].name: required field is missing',)),
    "o-name-empty": Bad("onelogin", onelogin("!name: '', actions: [%s]" % OK_ACT), 422, ("name", "Must be a non-empty string"), ('4:12 rules[0].name: must not be empty',)),
    "o-match": Bad("onelogin", onelogin("match: every, actions: [%s]" % OK_ACT), 422, ("match", "Invalid match value: every"), ("4:22 rules[0].match: 'every' is not allowed; expected 'all' or 'any'",)),
    "o-enabled-text": Bad("onelogin", onelogin("enabled: 'yes', actions: [%s]" % OK_ACT), 422, ("enabled", "Must be a boolean"), ('4:24 rules[0].enabled: must be true or false',)),
    "o-conditions-mapping": Bad("onelogin", onelogin("conditions: %s, actions: [%s]" % (OK_COND, OK_ACT)), 422, ("conditions", "Must be an array"), ('4:15 rules[0].conditions: must be a list',)),
    "o-actions-missing": Bad("onelogin", onelogin("conditions: [%s]" % OK_COND), 422, ("actions", "Required field is missing"), ('4:5 rules[0].actions: required field is missing',)),
    "o-actions-mapping": Bad("onelogin", onelogin("actions: %s" % OK_ACT), 422, ("actions", "Must be an array"), ('4:15 rules[0].actions: must be a list',)),
    "o-condition-string": Bad("onelogin", onelogin("conditions: [has_role], actions: [%s]" % OK_ACT), 422, ("conditions.[0]", "Must be an object"), ('4:28 rules[0].conditions[0]: must be a mapping of fields',)),
    "o-condition-value-missing": Bad("onelogin", onelogin("conditions: [{source: last_login, operator: '>'}], actions: [%s]" % OK_ACT), 422, ("conditions.[0].value", "Invalid condition value: None"), ('4:28 rules[0].conditions[0].value: required field is missing',)),
    "o-condition-source-missing": Bad("onelogin", onelogin("conditions: [{operator: '>', value: '90'}], actions: [%s]" % OK_ACT), 422, ("conditions.[0].source", "Invalid condition source: None"), ('4:28 rules[0].conditions[0].source: required field is missing',)),
    "o-condition-typo-field": Bad("onelogin", onelogin("conditions: [{source: last_login, operater: '>', value: '90'}], actions: [%s]" % OK_ACT), 422, ("conditions.[0].operator", "Invalid condition operator: None"), ('4:28 rules[0].conditions[0].operator: required field is missing', "4:49 rules[0].conditions[0].operater: unknown field 'operater' (did you mean 'operator'?)")),
    "o-action-value-mapping": Bad("onelogin", onelogin("actions: [{action: set_groups, value: [{name: admins}]}]"), 422, ("actions.[0].value", "Must be an array of strings"), ("4:54 rules[0].actions[0].value[0]: target 'onelogin-test': action 'set_groups' takes free text in app 7, not a name from a list: write the value itself",)),
    "o-action-value-name-unknown": Bad("onelogin", onelogin("actions: [{action: set_role, value: [{name: Admn}]}]"), 422, ("actions.[0].value", "Must be an array of strings"), ("4:52 rules[0].actions[0].value[0]: target 'onelogin-test': 'Admn' is not a value of action 'set_role' in app 7 (did you mean 'Admin'?)",)),
    "o-condition-value-name-unknown": Bad("onelogin", onelogin("conditions: [{source: has_role, operator: ri, value: {name: Contractr}}], actions: [%s]" % OK_ACT), 422, ("conditions.[0].value", "Invalid condition value: {'name': 'Contractr'}"), ("4:61 rules[0].conditions[0].value: target 'onelogin-test': 'Contractr' is not a value of condition 'has_role' in app 7 (did you mean 'Contractor'?)",)),
    "o-value-name-empty": Bad("onelogin", onelogin("actions: [{action: set_role, value: {name: ''}}]"), 422, ("actions.[0].value", "Must be an array of strings"), ("4:58 rules[0].actions[0].value.name: must not be empty",)),
    "o-action-expression-number": Bad("onelogin", onelogin("actions: [{action: set_groups, value: [member_of], expression: 5}]"), 422, ("actions.[0].expression", "Must be a string"), ('4:78 rules[0].actions[0].expression: must be a text string',)),
    "o-action-missing-name": Bad("onelogin", onelogin("actions: [{value: ['340475']}]"), 422, ("actions.[0].action", "Invalid action: None"), ('4:25 rules[0].actions[0].action: required field is missing',)),
    "o-remote-source": Bad("onelogin", onelogin("conditions: [{source: shoe_size, operator: '>', value: '44'}], actions: [%s]" % OK_ACT), 422, ("conditions.[0].source", "Invalid condition source: shoe_size"), ("4:37 rules[0].conditions[0].source: app 7 has no condition 'shoe_size'",)),
    "o-remote-operator": Bad("onelogin", onelogin("conditions: [{source: has_role, operator: '=', value: '340475'}], actions: [%s]" % OK_ACT), 422, ("conditions.[0].operator", "Invalid condition operator: ="), ("4:57 rules[0].conditions[0].operator: '=' is not an operator of condition 'has_role'; expected one of 'ri', '!ri'",)),
    "o-remote-condition-value": Bad("onelogin", onelogin("conditions: [{source: status, operator: '=', value: Active}], actions: [%s]" % OK_ACT), 422, ("conditions.[0].value", "Invalid condition value: Active"), ("4:67 rules[0].conditions[0].value: 'Active' is not a value of condition 'status' (did you mean '1', which is 'Active'?)",)),
    "o-remote-condition-role": Bad("onelogin", onelogin("conditions: [{source: has_role, operator: ri, value: 12345}], actions: [%s]" % OK_ACT), 422, ("conditions.[0].value", "Invalid condition value: 12345"), ("4:68 rules[0].conditions[0].value: '12345' is not a value of condition 'has_role'",)),
    "o-remote-action": Bad("onelogin", onelogin("conditions: [%s], actions: [{action: set_stats, value: ['2']}]" % OK_COND), 422, ("actions.[0].action", "Invalid action: set_stats"), ("4:99 rules[0].actions[0].action: app 7 has no action 'set_stats' (did you mean 'set_status'?)",)),
    "o-remote-action-value": Bad("onelogin", onelogin("actions: [{action: set_status, value: ['2', '9']}]"), 422, ("actions.[0].value", "Invalid action value: 9"), ("4:59 rules[0].actions[0].value[1]: '9' is not a value of action 'set_status'",)),
}
# fmt: on

TARGETS = {"primo": "primo-test", "vizivault": "vault-test", "onelogin": "onelogin-test"}
APP = 7
# What a manifest may leave out and the reconciler fills in before a OneLogin request.
ONELOGIN_DEFAULTS = {"match": "all", "enabled": True, "conditions": [], "position": None}


def test_the_table_is_large_and_distinct() -> None:
    assert len(CASES) >= 60
    assert len({case.rule for case in CASES.values()}) == len(CASES)
    assert {case.provider for case in CASES.values()} == set(TARGETS)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as running:
        yield running


@pytest.fixture(scope="module")
def project(server: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Project:
    made = make_project(Path(tmp_path_factory.mktemp("bad-rules")), server)
    made.tenant("onelogin-test").add_app(APP, "App")
    return made


@pytest.fixture(scope="module")
def clients(server: SandboxServer) -> Iterator[dict[str, httpx.Client]]:
    primo, _ = primo_client(server)
    vault, _ = vault_client(server)
    onelogin, tenant = onelogin_client(server)
    tenant.add_app(APP, "App")
    yield {"primo": primo, "vizivault": vault, "onelogin": onelogin}
    for client in (primo, vault, onelogin):
        client.close()


def manifest(case: Bad) -> str:
    header = f"target: {TARGETS[case.provider]}\n" + (f"app: {APP}\n" if case.provider == "onelogin" else "")
    return f"{header}rules:\n  - {case.rule}\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_finds_it_before_any_request(project: Project, name: str) -> None:
    case = CASES[name]
    project.write("rules/bad.yaml", manifest(case))
    project.sandbox.stats.reset()
    result = project.run("validate", *(["--remote"] if case.provider == "onelogin" else []))
    assert result.exit_code == 1, result.output
    errors = [
        line.removeprefix("error: rules/bad.yaml:") for line in result.output.splitlines() if line.startswith("error:")
    ]
    assert errors == list(case.local)
    assert project.sandbox.stats.writes == 0


def _post(client: httpx.Client, case: Bad) -> httpx.Response:
    body: Any = YAML(typ="safe").load(case.rule)
    if case.provider == "primo":
        return client.post("/compliance/alert-rules", json=body)
    if case.provider == "vizivault":
        return client.post("/rules", json=body)
    return client.post(f"/api/2/apps/{APP}/rules", json={**ONELOGIN_DEFAULTS, **body})


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_sandbox_refuses_it_as_the_vendor_does(clients: dict[str, httpx.Client], name: str) -> None:
    case = CASES[name]
    response = _post(clients[case.provider], case)
    assert response.status_code == case.status, response.text
    answer = response.json()
    if isinstance(case.api, tuple):
        field, message = case.api
        assert answer["message"] == "Validation Failed"
        assert {"field": field, "message": [message]} in answer["errors"]
    else:
        assert answer["message"] == case.api


DUPLICATES = {
    "primo": ("rules:\n  - {type: MDM_ONLINE, nonCompliantStatus: [OFFLINE]}\n", "MDM_ONLINE", "primo-test/primo"),
    "vizivault": (f"rules:\n  - {vault()}\n", "k", "vault-test/vizivault"),
    "onelogin": (f"app: {APP}\nrules:\n  - {onelogin('actions: [%s]' % OK_ACT)}\n", "r", f"onelogin-test/app:{APP}"),
}


@pytest.mark.parametrize("provider", sorted(DUPLICATES))
def test_a_rule_identity_given_in_two_files_is_located_in_both(project: Project, provider: str) -> None:
    body, identity, scope = DUPLICATES[provider]
    for name in ("a", "b"):
        project.write(f"rules/dup/{name}.yaml", f"target: {TARGETS[provider]}\n{body}")
    project.write("rules/bad.yaml", "")
    result = project.run("validate")
    line = 3 if provider == "onelogin" else 2
    expected = f"rules/dup/b.yaml:{line + 1}:5 rules[0]: duplicate rule {identity!r} in {scope}: already defined at "
    assert f"error: {expected}rules/dup/a.yaml:{line + 1}:5" in result.output, result.output
    for name in ("a", "b"):
        (project.root / f"rules/dup/{name}.yaml").unlink()


def test_two_vault_rules_may_not_share_a_name(project: Project, clients: dict[str, httpx.Client]) -> None:
    rules = [vault(), vault().replace("key: k", "key: k2")]
    project.write("rules/bad.yaml", "target: vault-test\nrules:\n" + "".join(f"  - {r}\n" for r in rules))
    result = project.run("validate")
    assert "error: rules/bad.yaml:4:21 rules[1].name: name 'n' is already used by rule 'k' at rules/bad.yaml:3:5" in (
        result.output
    )
    assert result.exit_code == 1
    vault_client = clients["vizivault"]
    first, second = (YAML(typ="safe").load(r) for r in rules)
    assert vault_client.post("/rules", json=first).status_code == 200
    refused = vault_client.post("/rules", json=second)
    assert (refused.status_code, refused.json()["message"]) == (400, "Rule name is already used by another rule")
    assert vault_client.delete("/rules/n").status_code == 200


def test_a_blank_onelogin_name_is_refused_as_the_api_does(project: Project, clients: dict[str, httpx.Client]) -> None:
    rule = onelogin("!name: '  ', actions: [%s]" % OK_ACT)
    project.write("rules/bad.yaml", f"target: onelogin-test\napp: {APP}\nrules:\n  - {rule}\n")
    result = project.run("validate")
    assert "error: rules/bad.yaml:4:12 rules[0].name: '  ' does not match the pattern \\S" in result.output
    answer = clients["onelogin"].post(
        f"/api/2/apps/{APP}/rules", json={**ONELOGIN_DEFAULTS, **YAML(typ="safe").load(rule)}
    )
    assert answer.status_code == 422
    assert {"field": "name", "message": ["Must be a non-empty string"]} in answer.json()["errors"]
