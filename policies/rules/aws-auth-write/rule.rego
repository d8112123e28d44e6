# METADATA
# title: Subject can edit EKS's aws-auth ConfigMap (EKS only)
# description: >-
#   On EKS, the aws-auth ConfigMap of kube-system maps IAM roles and users to
#   Kubernetes users and groups: whoever may update or patch it maps an IAM
#   principal it controls to system:masters, which is cluster-admin from
#   outside the cluster. Reported when the rule reaches that ConfigMap
#   (cluster-wide or in kube-system, unrestricted or naming aws-auth), and
#   only when the input shows EKS (eks: roles or bindings, or ServiceAccounts
#   with eks.amazonaws.com/role-arn): the run then says so in a diagnostic.
#   Elsewhere the ConfigMap means nothing and the rule stays silent.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg015
# custom:
#   id: KG015
#   slug: aws-auth-write
#   severity: critical
#   remediation: >-
#     Remove update and patch on configmaps in kube-system; manage cluster access
#     with EKS access entries instead of the aws-auth ConfigMap.
#   tags: [stride:elevation-of-privilege, stride:spoofing, T1098, T1078.004]
#   catalogue: [U15]
#   references:
#     - rbac-police eks_modify_aws_auth
#     - trivy KSV-0115
#     - Elastic persistence_kubernetes_eks_aws_auth_configmap_modified
#   exercised_by:
#     - {apiGroups: [""], resources: [configmaps], verbs: [update, patch], resourceNames: [aws-auth]}
package kubegrant.rules.aws_auth_write

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	input.platforms.eks
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "", "configmaps", ["update", "patch"])
	count(verbs) > 0
	names_aws_auth(rule)
	some i in input.ruleGrants[k]
	g := input.grants[i]
	g.scope in {"", "kube-system"}
	f := {
		"grant": i,
		"msg": sprintf("can %s the aws-auth ConfigMap of kube-system: map an IAM principal to system:masters", [concat(", ", verbs)]),
	}
}

names_aws_auth(rule) if count(rule.resourceNames) == 0

names_aws_auth(rule) if "aws-auth" in rule.resourceNames
