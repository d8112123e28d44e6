# METADATA
# title: Subject can rewrite the cluster DNS configuration (CoreDNS)
# description: >-
#   update or patch on the coredns (or kube-dns) ConfigMap of kube-system
#   rewrites how every pod resolves names: the subject can send any service
#   name, the API server's included, to an address it controls. Reported when
#   the rule reaches that ConfigMap: cluster-wide, or in kube-system, and
#   either unrestricted or naming coredns or kube-dns in resourceNames.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg014
# custom:
#   id: KG014
#   slug: coredns-write
#   severity: high
#   remediation: >-
#     Remove update and patch on configmaps in kube-system; manage CoreDNS
#     through the cluster's add-on manager.
#   tags: [stride:tampering, stride:spoofing, T1565.002, T1557]
#   catalogue: [U14]
#   references:
#     - kubescape C-0037 rule-can-update-configmap-v1
#     - Elastic impact_kubernetes_coredns_or_kube_dns_configuration_modified
#   exercised_by:
#     - {apiGroups: [""], resources: [configmaps], verbs: [update, patch], resourceNames: [coredns, kube-dns]}
package kubegrant.rules.coredns_write

import rego.v1

import data.kubegrant.lib.rbac

dns := {"coredns", "kube-dns"}

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "", "configmaps", ["update", "patch"])
	count(verbs) > 0
	names_dns(rule)
	some i in input.ruleGrants[k]
	g := input.grants[i]
	g.scope in {"", "kube-system"}
	f := {
		"grant": i,
		"msg": sprintf("can %s the %s ConfigMap of kube-system: rewrite every pod's name resolution", [concat(", ", verbs), which(rule)]),
	}
}

names_dns(rule) if count(rule.resourceNames) == 0

names_dns(rule) if {
	some n in rule.resourceNames
	n in dns
}

which(rule) := "CoreDNS" if count(rule.resourceNames) == 0 else := concat(", ", sort({n | some n in rule.resourceNames; n in dns}))
