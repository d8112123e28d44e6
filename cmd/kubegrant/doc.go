/*
Kubegrant finds risky Kubernetes RBAC grants and proves whether they were used.

Usage:

	kubegrant scan [PATH|-]... [flags]
	kubegrant rules [--format text|json|markdown] [--policy DIR]...
	kubegrant test DIR... [-v]
	kubegrant who-can VERB RESOURCE[/SUBRESOURCE]|URL [PATH|-]... [-n NS] [--name NAME] [--format text|json]
	kubegrant can SUBJECT [PATH|-]... [-n NS] [--group G]... [--audit-log PATH]... [--format text|json]
	kubegrant version

The static pass loads Roles, ClusterRoles, RoleBindings and
ClusterRoleBindings from manifests (files, directories, '-' for stdin),
resolves them into per-subject grants exactly as the Kubernetes RBAC
authorizer does, and evaluates the embedded Rego catalogue. With
--audit-log, the dynamic pass replays audit logs against the same grants
to mark each finding exercised or never exercised, and runs the audit
detections.

who-can lists the subjects allowed a request (with their bindings, file:line),
groups expanded to the identities of the input and system:masters shown; can
lists an identity's grants and, with --audit-log, which it used. Both read
the same inputs as scan (docs/access.md).

# Suppressions

A finding is suppressed by a kubegrant.io/ignore annotation on its binding
or role (with kubegrant.io/ignore-reason, optionally
kubegrant.io/ignore-until), by an exception in the config file (--config,
default .kubegrant.yaml), as a platform default, or by --baseline; the first
of these, in that order, is the one reported. Suppressed findings stay in
JSON and SARIF, marked, and never count for --fail-on.

# Exit codes

	0  the scan ran and found nothing at or above --fail-on
	1  runtime error: nothing usable loaded, output not writable, …
	2  usage error, including a mistake in the config file (with its line)
	3  un-suppressed findings at or above --fail-on (in every format)

Progress and warnings go to standard error; the report goes to standard
output or to the file named by -o.
*/
package main
