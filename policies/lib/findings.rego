# METADATA
# title: Single entrypoint over every rule package
# description: >-
#   findings maps each rule package name (the slug with "_" for "-") to the set
#   its deny rule produced, so one prepared query evaluates the whole catalogue.
package kubegrant

import rego.v1

findings[name] := fs if {
	some name
	fs := data.kubegrant.rules[name].deny
}
