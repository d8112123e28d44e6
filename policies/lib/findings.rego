# METADATA
# title: The two entrypoints over every rule package
# description: >-
#   findings maps each rule package name (the slug with "_" for "-") to the set
#   its deny rule produced over the capability input (probes, bindings,
#   objects); identity_findings maps each identity rule package to its
#   identity_deny set over the identity input. One prepared query each
#   evaluates the whole catalogue.
package kubegrant

import rego.v1

findings[name] := fs if {
	some name
	fs := data.kubegrant.rules[name].deny
}

identity_findings[name] := fs if {
	some name
	fs := data.kubegrant.rules[name].identity_deny
}
