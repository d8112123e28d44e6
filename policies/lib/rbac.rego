# METADATA
# title: Kubernetes RBAC matching helpers
# description: >-
#   Case for case the matching of the Kubernetes RBAC authorizer
#   (kubernetes/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go): "*" matches
#   every verb, group and resource; "*/sub" matches any resource's subresource
#   sub; "pods/*" and "*/*" are literals; apiGroups "*" matches the core group "".
#   resourceNames restrict nothing here, except that a rule with resourceNames
#   never authorises a top-level create or a deletecollection (the authorizer
#   sees no name): rules decide what names restrict otherwise.
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

# allows reports whether rule allows verb on group/resource for some object.
# resourceNames restrict nothing here but a top-level create and a
# deletecollection, which they make impossible.
allows(rule, group, resource, verb) if {
	verb_matches(rule, verb)
	group_matches(rule, group)
	resource_matches(rule, resource)
	not nameless_denied(rule, resource, verb)
}

# nameless_denied holds for a request that carries no name (top-level
# create, deletecollection) against a rule that names objects: the
# authorizer never lets it through.
nameless_denied(rule, _, "deletecollection") if count(rule.resourceNames) > 0

nameless_denied(rule, resource, verb) if {
	count(rule.resourceNames) > 0
	top_level_create(resource, verb)
}

# allowed_verbs lists which of verbs the rule allows on group/resource.
# The group and resource are checked once, before the verbs.
allowed_verbs(rule, group, resource, verbs) := [v |
	some v in verbs
	verb_matches(rule, v)
	not nameless_denied(rule, resource, v)
] if {
	group_matches(rule, group)
	resource_matches(rule, resource)
} else := []

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

# subject_key identifies a subject (or a role) across bindings.
subject_key(s) := ref_key(s.kind, s.namespace, s.name)

# ref_key is subject_key of the reference kind/namespace/name, for rules
# that have its parts rather than an object.
ref_key(kind, namespace, name) := sprintf("%s/%s/%s", [kind, namespace, name])

# all_wildcard holds for the cluster-admin rule: every verb on every resource
# in every API group.
all_wildcard(rule) if {
	"*" in rule.verbs
	"*" in rule.resources
	"*" in rule.apiGroups
}

# Helpers for rules over several (group, resource) targets and verbs.

# may_touch holds when the rule names one of groups (a set of API groups)
# or "*": a cheap test before a rule checks each of its targets, since most
# rules of a cluster name none of the groups a given rule is about.
may_touch(rule, _) if "*" in rule.apiGroups

may_touch(rule, groups) if {
	some g in rule.apiGroups
	g in groups
}

# matches lists the [resource, verb] pairs of targets ([group, resource]
# pairs) and verbs that the rule allows, ignoring resourceNames and scope.
# Each target's group and resource are checked once, before the verbs.
matches(rule, targets, verbs) := [[r, v] |
	some [group, r] in targets
	group_matches(rule, group)
	resource_matches(rule, r)
	some v in verbs
	verb_matches(rule, v)
	not nameless_denied(rule, r, v)
]

# restricts reports whether the rule's resourceNames restrict verb on
# resource: never for create on a top-level resource (the object has no name
# yet) nor for deletecollection.
restricts(rule, resource, verb) if {
	restricted(rule)
	verb != "deletecollection"
	not top_level_create(resource, verb)
}

top_level_create(resource, "create") if not contains(resource, "/")

# reaches_verb is reaches for one verb. A namespace's own object is
# authorised in that namespace (GET/PUT/PATCH/DELETE /api/v1/namespaces/<ns>
# carry namespace <ns>), so a RoleBinding reaches get, update, patch and
# delete on the Namespace it lives in, though not create, list or watch.
reaches_verb(grant, resource, _) if reaches(grant, resource)

reaches_verb(grant, "namespaces", verb) if {
	grant.scope != ""
	verb in {"get", "update", "patch", "delete"}
}

# distinct keeps the first occurrence of each element, in order.
distinct(l) := [x | some n, x in l; not x in array.slice(l, 0, n)]

# pair_resources and pair_verbs render the resources and verbs of
# [resource, verb] pairs for a message.
pair_resources(pairs) := concat(", ", distinct([r | some [r, _] in pairs]))

pair_verbs(pairs) := concat(", ", distinct([v | some [_, v] in pairs]))

# Bindings and what their roles grant, for binding-level rules.

# binding_key identifies a binding in input.bindings and in a grant's
# binding reference.
binding_key(b) := [b.kind, b.namespace, b.name]

read_verbs := {"get", "list", "watch"}

# read_only holds for a rule that only reads (get, list, watch) and does not
# read Secrets.
read_only(rule) if {
	every v in rule.verbs {
		v in read_verbs
	}
	not reads_secrets(rule)
}

reads_secrets(rule) if {
	group_matches(rule, "")
	resource_matches(rule, "secrets")
}

# power grades what a binding grants, from the probes of its grants
# (input.bindings[b].grants): "admin" (an all-"*" rule), "write" (more than
# read-only, or a role that does not resolve, which whoever creates it
# fills), "read" (reads some resource in full), else "narrow" (reads only
# named objects or non-resource URLs).
power(b) := "admin" if {
	some i in object.get(b, "grants", [])
	all_wildcard(input.grants[i].rule)
} else := "write" if {
	some i in object.get(b, "grants", [])
	not read_only(input.grants[i].rule)
} else := "write" if {
	count(object.get(b, "grants", [])) == 0
} else := "read" if {
	some i in object.get(b, "grants", [])
	broad(input.grants[i].rule)
} else := "narrow"

# broad holds for a rule that reads some resource without naming objects.
broad(rule) if {
	count(rule.resources) > 0
	count(rule.resourceNames) == 0
}

# discovery_roles are the bootstrap ClusterRoles Kubernetes itself binds to
# every authenticated user or every ServiceAccount: binding them to a broad
# group is expected.
discovery_roles := {
	"system:basic-user",
	"system:discovery",
	"system:public-info-viewer",
	"system:service-account-issuer-discovery",
}

# discovery_role holds for a roleRef to one of discovery_roles.
discovery_role(ref) if {
	ref.kind == "ClusterRole"
	ref.name in discovery_roles
}

# subject_index says where each subject occurs in input.bindings:
# subject_index[kind][namespace][name] lists [b, j] for
# input.bindings[b].subjects[j] (namespace "" for users and groups). Binding
# rules look up the subjects they judge instead of walking every binding.
# The Go side provides it as input.index.subjects; an input without it
# (rule tests, hand-written inputs) gets the same index built here.
subject_index := input.index.subjects

subject_index := built if {
	not input.index.subjects
	built := {kind: {ns: {name: [[b, j] |
		some b, binding in input.bindings
		some j, s in binding.subjects
		s.kind == kind
		object.get(s, "namespace", "") == ns
		s.name == name
	] |
		some binding in input.bindings
		some s in binding.subjects
		s.kind == kind
		object.get(s, "namespace", "") == ns
		name := s.name
	} |
		some binding in input.bindings
		some s in binding.subjects
		s.kind == kind
		ns := object.get(s, "namespace", "")
	} |
		some binding in input.bindings
		some s in binding.subjects
		kind := s.kind
	}
}

# role_ref_index[kind][namespace][name] lists the bindings b whose roleRef
# is that role (a Role's namespace is its binding's). Like subject_index,
# it is input.index.roleRefs or built from input.bindings.
role_ref_index := input.index.roleRefs

role_ref_index := built if {
	not input.index.roleRefs
	built := {kind: {ns: {name: [b |
		some b, binding in input.bindings
		binding.roleRef.kind == kind
		object.get(binding.roleRef, "namespace", "") == ns
		binding.roleRef.name == name
	] |
		some binding in input.bindings
		binding.roleRef.kind == kind
		object.get(binding.roleRef, "namespace", "") == ns
		name := binding.roleRef.name
	} |
		some binding in input.bindings
		ns := object.get(binding.roleRef, "namespace", "")
		binding.roleRef.kind == kind
	} |
		some binding in input.bindings
		kind := binding.roleRef.kind
	}
}

# subjects_named lists [b, j] for each subject of kind and name in
# namespace ns across input.bindings.
subjects_named(kind, ns, name) := object.get(subject_index, [kind, ns, name], [])

# bindings_to lists the bindings b whose roleRef is the role kind/ns/name.
bindings_to(kind, ns, name) := object.get(role_ref_index, [kind, ns, name], [])
