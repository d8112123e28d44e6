# METADATA
# title: Kubernetes RBAC matching helpers
# description: >-
#   Case for case the matching of the Kubernetes RBAC authorizer
#   (kubernetes/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go): "*" matches
#   every verb, group and resource; "*/sub" matches any resource's subresource
#   sub; "pods/*" and "*/*" are literals; apiGroups "*" matches the core group "".
#   resourceNames are ignored here: rules decide what they restrict.
package kubegrant.lib.rbac

import rego.v1

# Namespaces whose grants are treated like cluster-wide ones: the control
# plane's own credentials and workloads live there.
privileged_namespaces := {"kube-system", "kube-public", "kube-node-lease"}

rbac_group := "rbac.authorization.k8s.io"

# Resources that are cluster-scoped, or checked by the authorizer without a
# namespace: a RoleBinding confines them to nothing.
cluster_scoped := {
	"nodes", "nodes/proxy", "nodes/status", "namespaces", "persistentvolumes",
	"clusterroles", "clusterrolebindings", "users", "groups", "uids", "userextras",
	"certificatesigningrequests", "customresourcedefinitions",
}

verb_matches(rule, _) if "*" in rule.verbs

verb_matches(rule, verb) if verb in rule.verbs

group_matches(rule, _) if "*" in rule.apiGroups

group_matches(rule, group) if group in rule.apiGroups

# resource is the combined "resource" or "resource/subresource".
resource_matches(rule, _) if "*" in rule.resources

resource_matches(rule, resource) if resource in rule.resources

resource_matches(rule, resource) if {
	parts := split(resource, "/")
	count(parts) == 2
	concat("/", ["*", parts[1]]) in rule.resources
}

# allows reports whether rule allows verb on group/resource for some object,
# ignoring resourceNames.
allows(rule, group, resource, verb) if {
	verb_matches(rule, verb)
	group_matches(rule, group)
	resource_matches(rule, resource)
}

# allowed_verbs lists which of verbs the rule allows on group/resource.
allowed_verbs(rule, group, resource, verbs) := [v |
	some v in verbs
	allows(rule, group, resource, v)
]

# restricted reports whether resourceNames limit the rule to named objects.
# That holds for get/update/patch/delete and for subresources (the name is in
# the URL), never for create on a top-level resource or deletecollection, and
# for list/watch only with a metadata.name field selector.
restricted(rule) if count(rule.resourceNames) > 0

# names renders the resourceNames for a message.
names(rule) := concat(", ", sort(rule.resourceNames))

cluster_wide(grant) if grant.scope == ""

# sensitive_scope holds for cluster-wide grants and grants in a privileged
# namespace.
sensitive_scope(grant) if grant.scope == ""

sensitive_scope(grant) if grant.scope in privileged_namespaces

# reaches reports whether the grant's scope can reach resource at all: a
# RoleBinding never grants a cluster-scoped resource.
reaches(grant, _) if grant.scope == ""

reaches(grant, resource) if {
	grant.scope != ""
	not resource in cluster_scoped
}

# where renders the grant's scope for a message.
where(grant) := "in every namespace" if grant.scope == ""

where(grant) := sprintf("in namespace %q", [grant.scope]) if grant.scope != ""

# subject_key identifies a subject across bindings.
subject_key(s) := sprintf("%s/%s/%s", [s.kind, s.namespace, s.name])

# all_wildcard holds for the cluster-admin rule: every verb on every resource
# in every API group.
all_wildcard(rule) if {
	"*" in rule.verbs
	"*" in rule.resources
	"*" in rule.apiGroups
}
