package scanner

import (
	"bytes"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Limits that keep a hostile document from exhausting memory. Aliases are
// not expanded in list items, so an item count is bounded by the file size.
const (
	maxListDepth = 8
)

// ParseManifests parses the content of one manifest file (YAML, multi-document
// YAML, JSON, kind: List and typed lists such as RoleList) named file in
// Sources and diagnostics.
//
// The stream is split into documents on "---" and "..." lines before it is
// parsed, so a document that does not parse (an unrendered Helm template)
// loses only itself: yaml.v3 would stop at the first bad document. Each
// object is decoded field by field from the yaml.Node tree, which gives every
// object, rule and subject its own line and makes a wrong field type an
// error that names its line. The first error in an object drops that object
// only.
func ParseManifests(file string, data []byte) *Inventory {
	inv := &Inventory{}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if line, bad := binaryLine(data); bad {
		inv.Diagnostics = append(inv.Diagnostics, Diagnostic{
			Severity: DiagError,
			Message:  "not UTF-8 text; file skipped",
			Location: Source{File: file, Line: line},
		})
		return inv
	}
	docs := splitDocuments(data)
	workers := min(runtime.GOMAXPROCS(0), len(docs)/minDocsPerWorker)
	if workers <= 1 {
		for _, doc := range docs {
			parseDocument(file, doc, inv)
		}
		return inv
	}
	// One big file (a cluster dump) is parsed by several workers, each over
	// a contiguous share of its documents; the shares are joined in order,
	// so the Inventory is the one a sequential parse makes.
	parts := make([]*Inventory, workers*4)
	per := (len(docs) + len(parts) - 1) / len(parts)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				part := &Inventory{}
				for _, doc := range docs[min(p*per, len(docs)):min((p+1)*per, len(docs))] {
					parseDocument(file, doc, part)
				}
				parts[p] = part
			}
		}()
	}
	for p := range parts {
		next <- p
	}
	close(next)
	wg.Wait()
	for _, part := range parts {
		inv.Add(part)
	}
	return inv
}

// minDocsPerWorker is the number of documents below which a file is not
// worth parsing in parallel.
const minDocsPerWorker = 256

// binaryLine reports whether data is not UTF-8 text (invalid UTF-8 or a NUL
// byte), and the line of the first offending byte.
func binaryLine(data []byte) (int, bool) {
	bad := bytes.IndexByte(data, 0)
	if !utf8.Valid(data) {
		for i := 0; i < len(data); {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				if bad < 0 || i < bad {
					bad = i
				}
				break
			}
			i += size
		}
	}
	if bad < 0 {
		return 0, false
	}
	return 1 + bytes.Count(data[:bad], []byte("\n")), true
}

// document is one YAML document of a stream and the 1-based line of the
// file it starts on.
type document struct {
	data []byte
	line int
}

// splitDocuments cuts a stream into documents at lines that start with the
// "---" marker (kept, since content may follow it on the same line) and after
// lines that are a "..." end marker. A marker at column 0 always ends the
// previous document in YAML, even inside a block scalar, so this split never
// cuts a valid document.
func splitDocuments(data []byte) []document {
	var docs []document
	start, startLine := 0, 1
	line := 1
	for pos := 0; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		text := data[pos:next]
		switch {
		case isMarker(text, "---"):
			if pos > start {
				docs = append(docs, document{data[start:pos], startLine})
			}
			start, startLine = pos, line
		case isMarker(text, "..."):
			if pos > start {
				docs = append(docs, document{data[start:pos], startLine})
			}
			start, startLine = next, line+1
		}
		pos = next
	}
	if start < len(data) {
		docs = append(docs, document{data[start:], startLine})
	}
	return docs
}

// isMarker reports whether a line is the marker followed by nothing, a
// space, a tab or a line break.
func isMarker(line []byte, marker string) bool {
	if !bytes.HasPrefix(line, []byte(marker)) {
		return false
	}
	rest := line[len(marker):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}

// blank reports whether a document holds only markers, comments and
// whitespace, so it can be dropped without parsing.
func blank(data []byte) bool {
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSpace(line)
		if isMarker(line, "---") {
			line = bytes.TrimSpace(line[3:])
		}
		if len(line) > 0 && line[0] != '#' {
			return false
		}
	}
	return true
}

// yamlLine finds the "line N" yaml.v3 puts in its messages.
var yamlLine = regexp.MustCompile(`line (\d+)`)

func parseDocument(file string, doc document, inv *Inventory) {
	if blank(doc.data) {
		return
	}
	var root yaml.Node
	if err := safeUnmarshal(doc.data, &root); err != nil {
		// yaml.v3 counts lines from the start of the document; make them
		// file lines.
		line := doc.line
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = yamlLine.ReplaceAllStringFunc(msg, func(m string) string {
			n, _ := strconv.Atoi(m[len("line "):])
			return "line " + strconv.Itoa(n+doc.line-1)
		})
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = strings.TrimPrefix(msg, m[0]+": ")
		}
		inv.Diagnostics = append(inv.Diagnostics, Diagnostic{
			Severity: DiagError,
			Message:  "parsing YAML: " + msg,
			Location: Source{File: file, Line: line},
		})
		return
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return // empty document
	}
	shiftLines(&root, doc.line-1)
	d := decoder{file: file, inv: inv}
	d.object(root.Content[0], "", "", 0)
}

// safeUnmarshal turns a panic inside the YAML parser into an error, so that
// one pathological document cannot take the scan down.
func safeUnmarshal(data []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failure: %v", r)
		}
	}()
	return yaml.Unmarshal(data, n)
}

// shiftLines adds delta to every node's line. Alias targets are reached
// through Content exactly once, so they are not shifted twice.
func shiftLines(n *yaml.Node, delta int) {
	if delta == 0 {
		return
	}
	n.Line += delta
	for _, c := range n.Content {
		shiftLines(c, delta)
	}
}

// fieldError is a bad field: where it is and what is wrong, without its
// value (which could be a secret).
type fieldError struct {
	line int
	path string
	msg  string
}

func (e *fieldError) Error() string { return e.path + ": " + e.msg }

// decoder turns yaml.Node trees into model objects for one file.
type decoder struct {
	file string
	inv  *Inventory
}

func (d *decoder) diag(sev string, line int, format string, args ...any) {
	d.inv.Diagnostics = append(d.inv.Diagnostics, Diagnostic{
		Severity: sev,
		Message:  fmt.Sprintf(format, args...),
		Location: Source{File: d.file, Line: line},
	})
}

// objectKinds maps the non-RBAC kinds kept as Objects to the API groups
// they are served from ("" is the core group).
var objectKinds = map[string][]string{
	"ServiceAccount":        {""},
	"Namespace":             {""},
	"Node":                  {""},
	"Secret":                {""},
	"Pod":                   {""},
	"ReplicationController": {""},
	"Deployment":            {"apps", "extensions"},
	"DaemonSet":             {"apps", "extensions"},
	"ReplicaSet":            {"apps", "extensions"},
	"StatefulSet":           {"apps"},
	"Job":                   {"batch"},
	"CronJob":               {"batch"},
}

// clusterScoped are the kept kinds that have no namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, KindClusterRole: true, KindClusterRoleBinding: true,
}

// apiGroup returns the group of an apiVersion ("rbac.authorization.k8s.io/v1"
// → "rbac.authorization.k8s.io", "v1" → "").
func apiGroup(apiVersion string) string {
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		return g
	}
	return ""
}

// object decodes one object; defKind and defAPIVersion fill in what items of
// a typed list (RoleList from the API) leave out.
func (d *decoder) object(n *yaml.Node, defKind, defAPIVersion string, depth int) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		if depth > 0 {
			d.diag(DiagError, n.Line, "list item is %s, not an object; skipped", describe(n))
			return
		}
		d.inv.Skipped++ // a scalar or sequence document: not a Kubernetes object
		return
	}
	apiVersion, kind, err := d.header(n)
	if err != nil {
		d.diag(DiagError, err.line, "%v; document skipped", err)
		return
	}
	if kind == "" {
		kind = defKind
	}
	if apiVersion == "" {
		apiVersion = defAPIVersion
	}
	if kind == "" {
		d.inv.Skipped++ // no kind: a values file, a CI config…
		return
	}
	if items := get(n, "items"); strings.HasSuffix(kind, "List") && (kind == "List" || items != nil) {
		d.list(n, items, kind, apiVersion, depth)
		return
	}
	group := apiGroup(apiVersion)
	switch kind {
	case KindRole, KindClusterRole, KindRoleBinding, KindClusterRoleBinding:
		if group != rbacv1.GroupName {
			if apiVersion != "" {
				d.inv.Skipped++ // a CRD that reuses the name, e.g. a cloud IAM Role
				return
			}
			d.diag(DiagWarning, n.Line, "%s has no apiVersion; assumed %s/v1", kind, rbacv1.GroupName)
		}
		if err := d.rbacObject(n, kind); err != nil {
			d.diag(DiagError, err.line, "%v; object skipped", err)
		}
	case "CustomResourceDefinition":
		if group != crdGroup {
			d.inv.Skipped++
			return
		}
		if err := d.crd(n); err != nil {
			d.diag(DiagError, err.line, "%v; object skipped", err)
		}
	default:
		groups, ok := objectKinds[kind]
		if !ok || !slices.Contains(groups, group) {
			d.inv.Skipped++
			return
		}
		if err := d.keptObject(n, kind, apiVersion); err != nil {
			d.diag(DiagError, err.line, "%v; object skipped", err)
		}
	}
}

func (d *decoder) list(n, items *yaml.Node, kind, apiVersion string, depth int) {
	if depth >= maxListDepth {
		d.diag(DiagError, n.Line, "%s nested more than %d deep; skipped", kind, maxListDepth)
		return
	}
	if items == nil {
		return
	}
	if items.Kind == yaml.AliasNode {
		// Expanding aliased lists could multiply a small file into
		// millions of objects.
		d.diag(DiagError, items.Line, "%s items: aliases are not supported here; list skipped", kind)
		return
	}
	if isNull(items) {
		return
	}
	if items.Kind != yaml.SequenceNode {
		d.diag(DiagError, items.Line, "%s items: expected a list, found %s; list skipped", kind, describe(items))
		return
	}
	// A typed list (RoleList) as the API returns it leaves kind and
	// apiVersion out of its items; a plain List does not.
	itemKind, itemAPIVersion := "", ""
	if kind != "List" {
		itemKind, itemAPIVersion = strings.TrimSuffix(kind, "List"), apiVersion
	}
	for _, it := range items.Content {
		if it.Kind == yaml.AliasNode {
			d.diag(DiagError, it.Line, "%s item: aliases are not supported here; item skipped", kind)
			continue
		}
		d.object(it, itemKind, itemAPIVersion, depth+1)
	}
}

// header reads apiVersion and kind.
func (d *decoder) header(n *yaml.Node) (apiVersion, kind string, err *fieldError) {
	if apiVersion, err = str(get(n, "apiVersion"), "apiVersion"); err != nil {
		return "", "", err
	}
	kind, err = str(get(n, "kind"), "kind")
	return apiVersion, kind, err
}

// meta is the part of metadata the scan keeps.
type meta struct {
	name, namespace     string
	labels, annotations map[string]string
}

// lastApplied is kubectl's copy of the whole applied object, a Secret's data
// included: it is never kept.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

func (d *decoder) metadata(n *yaml.Node, kind string) (meta, *fieldError) {
	var m meta
	md := get(n, "metadata")
	if err := wantMap(md, "metadata"); err != nil {
		return m, err
	}
	var err *fieldError
	if m.name, err = str(get(md, "name"), "metadata.name"); err != nil {
		return m, err
	}
	if m.name == "" {
		return m, &fieldError{line: n.Line, path: "metadata.name", msg: kind + " has no name"}
	}
	if m.namespace, err = str(get(md, "namespace"), "metadata.namespace"); err != nil {
		return m, err
	}
	if m.labels, err = strMap(get(md, "labels"), "metadata.labels"); err != nil {
		return m, err
	}
	if m.annotations, err = strMap(get(md, "annotations"), "metadata.annotations"); err != nil {
		return m, err
	}
	delete(m.annotations, lastApplied)
	if len(m.annotations) == 0 {
		m.annotations = nil
	}
	return m, nil
}

// inObject prefixes an error with the object it is in.
func inObject(err *fieldError, kind, name string) *fieldError {
	if err == nil {
		return nil
	}
	prefix := kind
	if name != "" {
		prefix += " " + strconv.Quote(name)
	}
	return &fieldError{line: err.line, path: prefix + ": " + err.path, msg: err.msg}
}

// namespaceOf applies kubectl's default namespace to a namespaced object
// that names none, warning for RBAC objects, where the namespace decides
// what the grant reaches.
func (d *decoder) namespaceOf(n *yaml.Node, kind string, m *meta) {
	if clusterScoped[kind] {
		m.namespace = ""
		return
	}
	if m.namespace != "" {
		return
	}
	if kind == KindRole || kind == KindRoleBinding {
		d.diag(DiagWarning, n.Line, "%s %q has no namespace; kubectl would apply it to the current namespace; assumed \"default\"", kind, m.name)
	}
	m.namespace = "default"
}

func (d *decoder) rbacObject(n *yaml.Node, kind string) *fieldError {
	m, err := d.metadata(n, kind)
	if err != nil {
		return inObject(err, kind, m.name)
	}
	d.namespaceOf(n, kind, &m)
	ref := Ref{Kind: kind, Name: m.name, Namespace: m.namespace}
	src := Source{File: d.file, Line: n.Line}
	switch kind {
	case KindRole, KindClusterRole:
		r := &Role{Ref: ref, Labels: m.labels, Annotations: KubegrantAnnotations(m.annotations), Source: src}
		if r.Rules, err = d.rules(get(n, "rules")); err != nil {
			return inObject(err, kind, m.name)
		}
		if kind == KindClusterRole {
			if r.AggregationRule, err = aggregationRule(get(n, "aggregationRule")); err != nil {
				return inObject(err, kind, m.name)
			}
		}
		d.inv.Roles = append(d.inv.Roles, r)
	default:
		b := &Binding{Ref: ref, Annotations: KubegrantAnnotations(m.annotations), Source: src}
		if b.RoleRef, err = roleRef(n); err != nil {
			return inObject(err, kind, m.name)
		}
		if b.Subjects, err = d.subjects(get(n, "subjects"), b); err != nil {
			return inObject(err, kind, m.name)
		}
		d.inv.Bindings = append(d.inv.Bindings, b)
	}
	return nil
}

func (d *decoder) rules(n *yaml.Node) ([]Rule, *fieldError) {
	items, err := seq(n, "rules")
	if err != nil {
		return nil, err
	}
	rules := make([]Rule, 0, len(items))
	for i, it := range items {
		path := fmt.Sprintf("rules[%d]", i)
		it = deref(it)
		if err := wantMap(it, path); err != nil {
			return nil, err
		}
		var r rbacv1.PolicyRule
		for _, f := range []struct {
			key string
			dst *[]string
		}{
			{"apiGroups", &r.APIGroups},
			{"resources", &r.Resources},
			{"verbs", &r.Verbs},
			{"resourceNames", &r.ResourceNames},
			{"nonResourceURLs", &r.NonResourceURLs},
		} {
			if *f.dst, err = strList(get(it, f.key), path+"."+f.key); err != nil {
				return nil, err
			}
		}
		rules = append(rules, Rule{PolicyRule: r, Index: i, Source: Source{File: d.file, Line: it.Line}})
	}
	return rules, nil
}

func aggregationRule(n *yaml.Node) (*rbacv1.AggregationRule, *fieldError) {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil, nil
	}
	if err := wantMap(n, "aggregationRule"); err != nil {
		return nil, err
	}
	sels, err := seq(get(n, "clusterRoleSelectors"), "aggregationRule.clusterRoleSelectors")
	if err != nil {
		return nil, err
	}
	ar := &rbacv1.AggregationRule{ClusterRoleSelectors: make([]metav1.LabelSelector, 0, len(sels))}
	for i, s := range sels {
		path := fmt.Sprintf("aggregationRule.clusterRoleSelectors[%d]", i)
		s = deref(s)
		if err := wantMap(s, path); err != nil {
			return nil, err
		}
		var sel metav1.LabelSelector
		if sel.MatchLabels, err = strMap(get(s, "matchLabels"), path+".matchLabels"); err != nil {
			return nil, err
		}
		exprs, err := seq(get(s, "matchExpressions"), path+".matchExpressions")
		if err != nil {
			return nil, err
		}
		for j, e := range exprs {
			epath := fmt.Sprintf("%s.matchExpressions[%d]", path, j)
			e = deref(e)
			if err := wantMap(e, epath); err != nil {
				return nil, err
			}
			var req metav1.LabelSelectorRequirement
			var op string
			if req.Key, err = str(get(e, "key"), epath+".key"); err != nil {
				return nil, err
			}
			if op, err = str(get(e, "operator"), epath+".operator"); err != nil {
				return nil, err
			}
			req.Operator = metav1.LabelSelectorOperator(op)
			if req.Values, err = strList(get(e, "values"), epath+".values"); err != nil {
				return nil, err
			}
			sel.MatchExpressions = append(sel.MatchExpressions, req)
		}
		ar.ClusterRoleSelectors = append(ar.ClusterRoleSelectors, sel)
	}
	return ar, nil
}

func roleRef(n *yaml.Node) (rbacv1.RoleRef, *fieldError) {
	var rr rbacv1.RoleRef
	rn := get(n, "roleRef")
	if rn == nil || isNull(deref(rn)) {
		return rr, &fieldError{line: n.Line, path: "roleRef", msg: "missing"}
	}
	if err := wantMap(rn, "roleRef"); err != nil {
		return rr, err
	}
	rn = deref(rn)
	var err *fieldError
	if rr.APIGroup, err = str(get(rn, "apiGroup"), "roleRef.apiGroup"); err != nil {
		return rr, err
	}
	if rr.Kind, err = str(get(rn, "kind"), "roleRef.kind"); err != nil {
		return rr, err
	}
	if rr.Name, err = str(get(rn, "name"), "roleRef.name"); err != nil {
		return rr, err
	}
	if rr.Name == "" {
		return rr, &fieldError{line: rn.Line, path: "roleRef.name", msg: "missing"}
	}
	return rr, nil
}

func (d *decoder) subjects(n *yaml.Node, b *Binding) ([]Subject, *fieldError) {
	items, err := seq(n, "subjects")
	if err != nil {
		return nil, err
	}
	subjects := make([]Subject, 0, len(items))
	for i, it := range items {
		path := fmt.Sprintf("subjects[%d]", i)
		it = deref(it)
		if err := wantMap(it, path); err != nil {
			return nil, err
		}
		var s Subject
		if s.Kind, err = str(get(it, "kind"), path+".kind"); err != nil {
			return nil, err
		}
		if s.Name, err = str(get(it, "name"), path+".name"); err != nil {
			return nil, err
		}
		if s.Namespace, err = str(get(it, "namespace"), path+".namespace"); err != nil {
			return nil, err
		}
		s.Source = Source{File: d.file, Line: it.Line}
		if s.Name == "" {
			return nil, &fieldError{line: it.Line, path: path + ".name", msg: "missing"}
		}
		if msg := defaultSubject(b, &s, path); msg != "" {
			d.diag(DiagWarning, it.Line, "%s", msg)
		}
		subjects = append(subjects, s)
	}
	return subjects, nil
}

// defaultSubject applies the authorizer's view of a subject of b in place,
// whether it was read from a manifest or a live cluster, and returns a
// warning (without location) when the subject applies to nobody; path
// names the subject in the warning ("subjects[2]").
func defaultSubject(b *Binding, s *Subject, path string) string {
	switch s.Kind {
	case KindUser, KindGroup:
		// The authorizer matches users and groups by name only.
		s.Namespace = ""
	case KindServiceAccount:
		if s.Namespace != "" {
			break
		}
		if b.Kind == KindRoleBinding {
			// appliesToUser: a ServiceAccount subject defaults to
			// the binding's namespace.
			s.Namespace = b.Namespace
		} else {
			return fmt.Sprintf("%s %q: %s: ServiceAccount %q has no namespace; in a ClusterRoleBinding it applies to nobody",
				b.Kind, b.Name, path, s.Name)
		}
	default:
		return fmt.Sprintf("%s %q: %s: unknown subject kind %q; it applies to nobody",
			b.Kind, b.Name, path, s.Kind)
	}
	return ""
}

// podSpecPath is where each workload kind keeps its pod spec.
var podSpecPath = map[string][]string{
	"Pod":                   {"spec"},
	"Deployment":            {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

func (d *decoder) keptObject(n *yaml.Node, kind, apiVersion string) *fieldError {
	m, err := d.metadata(n, kind)
	if err != nil {
		return inObject(err, kind, m.name)
	}
	d.namespaceOf(n, kind, &m)
	o := &Object{
		Ref:         Ref{Kind: kind, Name: m.name, Namespace: m.namespace},
		APIVersion:  apiVersion,
		Labels:      m.labels,
		Annotations: m.annotations,
		Source:      Source{File: d.file, Line: n.Line},
	}
	switch kind {
	case "Secret":
		// Only the type: data and stringData are never read.
		if o.Type, err = str(get(n, "type"), "type"); err != nil {
			return inObject(err, kind, m.name)
		}
	case "ServiceAccount":
		if o.AutomountToken, err = optBool(get(n, "automountServiceAccountToken"), "automountServiceAccountToken"); err != nil {
			return inObject(err, kind, m.name)
		}
	default:
		if path, ok := podSpecPath[kind]; ok {
			if o.ServiceAccountName, o.AutomountToken, err = podSpecServiceAccount(n, path); err != nil {
				return inObject(err, kind, m.name)
			}
		}
	}
	d.inv.Objects = append(d.inv.Objects, o)
	return nil
}

// podSpecServiceAccount reads the pod spec's service account (serviceAccountName,
// else the deprecated serviceAccount, else "default" as the admission
// controller sets it) and its automountServiceAccountToken (nil when unset).
func podSpecServiceAccount(n *yaml.Node, path []string) (string, *bool, *fieldError) {
	cur := n
	for i, key := range path {
		cur = get(cur, key)
		if cur == nil || isNull(deref(cur)) {
			return "default", nil, nil
		}
		if err := wantMap(cur, strings.Join(path[:i+1], ".")); err != nil {
			return "", nil, err
		}
		cur = deref(cur)
	}
	prefix := strings.Join(path, ".") + "."
	automount, err := optBool(get(cur, "automountServiceAccountToken"), prefix+"automountServiceAccountToken")
	if err != nil {
		return "", nil, err
	}
	for _, key := range []string{"serviceAccountName", "serviceAccount"} {
		sa, err := str(get(cur, key), prefix+key)
		if err != nil {
			return "", nil, err
		}
		if sa != "" {
			return sa, automount, nil
		}
	}
	return "default", automount, nil
}

// optBool reads an optional boolean field: nil when absent or null.
func optBool(n *yaml.Node, field string) (*bool, *fieldError) {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return nil, &fieldError{line: n.Line, path: field, msg: "must be a boolean"}
	}
	b := n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
	return &b, nil
}

// Node helpers. They resolve aliases and report a wrong type with the line
// of the offending node and never its value.

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// get returns the value of key in mapping n, or nil. The last occurrence
// wins, as in the JSON decoding the API server does; "<<" merge keys are
// followed.
func get(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var found, merged *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		switch k.Value {
		case key:
			found = n.Content[i+1]
		case "<<":
			if k.Tag == "!!merge" && merged == nil {
				merged = get(n.Content[i+1], key)
			}
		}
	}
	if found == nil {
		return merged
	}
	return found
}

// describe names a node's type for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		if n.Style&yaml.FlowStyle != 0 && len(n.Content) > 0 && n.Content[0].Kind == yaml.MappingNode {
			return "a mapping (an unrendered {{ }} template?)"
		}
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		}
		return "a scalar"
	}
	return "an unsupported node"
}

func wantMap(n *yaml.Node, path string) *fieldError {
	n = deref(n)
	if n == nil || isNull(n) || n.Kind == yaml.MappingNode {
		return nil
	}
	return &fieldError{line: n.Line, path: path, msg: "expected a mapping, found " + describe(n)}
}

// str reads a string field; a missing or null field is "". Other scalars
// (numbers, booleans) are taken as written rather than losing the object.
func str(n *yaml.Node, path string) (string, *fieldError) {
	n = deref(n)
	if n == nil || isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", &fieldError{line: n.Line, path: path, msg: "expected a string, found " + describe(n)}
	}
	return n.Value, nil
}

// seq reads a list field; missing or null is an empty list.
func seq(n *yaml.Node, path string) ([]*yaml.Node, *fieldError) {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, &fieldError{line: n.Line, path: path, msg: "expected a list, found " + describe(n)}
	}
	return n.Content, nil
}

func strList(n *yaml.Node, path string) ([]string, *fieldError) {
	items, err := seq(n, path)
	if err != nil || items == nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, err := str(it, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func strMap(n *yaml.Node, path string) (map[string]string, *fieldError) {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil, nil
	}
	if err := wantMap(n, path); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := str(n.Content[i], path)
		if err != nil {
			return nil, err
		}
		v, err := str(n.Content[i+1], path+"."+k)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}
