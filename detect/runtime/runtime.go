// Package runtime reads runtime security events — what processes did inside
// containers — so that audit detections can join them with the API requests
// that followed: a ServiceAccount token read by a shell, then used.
//
// Two exports are read, one JSON object per line (the format of each line is
// recognised by its fields, so files may be mixed):
//
//   - Falco's JSON output (json_output: true, json_include_output_fields),
//     from the output_fields: evt.time (or the top-level time), fd.name (or
//     fd.filename, evt.arg.filename), proc.tty, proc.cmdline / proc.name,
//     k8s.ns.name, k8s.pod.name, container.id and, when the rules print it,
//     the pod IP (k8s.pod.ip, k8smeta.pod.ip or container.ip).
//   - Tetragon's JSON export (tetra getevents -o json, or the export file):
//     process_kprobe events on file functions with a file_arg or path_arg,
//     and process_exec events whose arguments name a file; the pod from
//     process.pod. Tetragon records no terminal: a process is interactive
//     when it is not in the container's init tree (in_init_tree false), which
//     is what kubectl exec starts.
//
// A malformed line becomes a diagnostic with its file and line; lines of
// other formats and events without a pod are counted and skipped. Command
// lines are kept only as the program name and the file it opened, never
// the rest of the arguments (they may hold secrets).
package runtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/scanner"
)

// Event is one file access by a process in a pod.
type Event struct {
	Time time.Time
	// Namespace and Pod locate the process; ContainerID may be empty.
	Namespace, Pod, ContainerID string
	// PodIP is the pod's IP when the event carries it.
	PodIP string
	// File is the path the process opened; Program the executable's base
	// name ("cat").
	File, Program string
	// Interactive: the process had a terminal (Falco's proc.tty is not 0)
	// or was started outside the container's init tree (Tetragon).
	Interactive bool
	// Format is "falco" or "tetragon"; Source where the line was read.
	Format string
	Source scanner.Source
}

// TokenFiles are the files of a pod's projected ServiceAccount token volume
// whose reading gives the token away or prepares its use.
var TokenFiles = []string{"token", "ca.crt"}

// TokenDir is where kubelet mounts the ServiceAccount token volume.
const TokenDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// ReadsToken reports whether the event opened the ServiceAccount token or
// CA of its pod (through /var/run or /run, and through the ..data link).
func (e *Event) ReadsToken() bool {
	p := path.Clean(e.File)
	p = strings.TrimPrefix(p, "/var")
	dir, file := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if strings.HasPrefix(path.Base(dir), "..") { // …/serviceaccount/..data/token
		dir = path.Dir(dir)
	}
	return dir == strings.TrimPrefix(TokenDir, "/var") && slices.Contains(TokenFiles, file)
}

// Stats counts what Load read.
type Stats struct {
	Lines, Events, Skipped, Errors int
}

// Load reads runtime events from files, directories (their .json, .jsonl
// and .log files, recursively) and globs, in order, sorted by time. root
// makes Sources relative, as for audit logs.
func Load(sources []string, root string) ([]Event, Stats, []scanner.Diagnostic, error) {
	l := &loader{}
	if root != "" {
		if abs, err := filepath.Abs(root); err == nil {
			l.root = abs
		}
	}
	var files []string
	for _, s := range sources {
		matches := []string{s}
		if strings.ContainsAny(s, "*?[") {
			m, err := filepath.Glob(s)
			if err != nil || len(m) == 0 {
				return nil, l.stats, nil, fmt.Errorf("runtime events %s: no file matches", s)
			}
			matches = m
		}
		for _, m := range matches {
			info, err := os.Stat(m)
			if err != nil {
				return nil, l.stats, nil, fmt.Errorf("runtime events: %w", err)
			}
			if !info.IsDir() {
				files = append(files, m)
				continue
			}
			err = filepath.WalkDir(m, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && slices.Contains([]string{".json", ".jsonl", ".log"}, filepath.Ext(p)) {
					files = append(files, p)
				}
				return err
			})
			if err != nil {
				return nil, l.stats, nil, fmt.Errorf("runtime events: %w", err)
			}
		}
	}
	for _, f := range files {
		if err := l.file(f); err != nil {
			return nil, l.stats, l.diags, err
		}
	}
	slices.SortStableFunc(l.events, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return l.events, l.stats, l.diags, nil
}

type loader struct {
	root   string
	events []Event
	diags  []scanner.Diagnostic
	stats  Stats
}

func (l *loader) display(p string) string {
	if l.root != "" {
		if abs, err := filepath.Abs(p); err == nil {
			if rel, err := filepath.Rel(l.root, abs); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.ToSlash(rel)
			}
		}
	}
	return filepath.ToSlash(p)
}

func (l *loader) file(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("runtime events: %w", err)
	}
	defer f.Close()
	l.read(f, l.display(p))
	return nil
}

// read reads one file's lines; what goes wrong becomes diagnostics.
func (l *loader) read(r io.Reader, name string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		l.stats.Lines++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		src := scanner.Source{File: name, Line: line}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			l.errorf(src, "not a JSON object: %v", err)
			continue
		}
		var (
			ev  Event
			ok  bool
			err error
		)
		switch {
		case raw["output_fields"] != nil:
			ev, ok, err = falco(raw)
		case raw["process_kprobe"] != nil || raw["process_exec"] != nil:
			ev, ok, err = tetragon(raw)
		default:
			l.stats.Skipped++
			continue
		}
		if err != nil {
			l.errorf(src, "%v", err)
			continue
		}
		if !ok {
			l.stats.Skipped++
			continue
		}
		ev.Source = src
		l.events = append(l.events, ev)
		l.stats.Events++
	}
	if err := sc.Err(); err != nil {
		l.errorf(scanner.Source{File: name, Line: line + 1}, "reading: %v", err)
	}
}

func (l *loader) errorf(src scanner.Source, format string, args ...any) {
	l.stats.Errors++
	if len(l.diags) >= 100 {
		return
	}
	l.diags = append(l.diags, scanner.Diagnostic{Severity: scanner.DiagError,
		Message: src.String() + ": runtime event: " + fmt.Sprintf(format, args...), Location: src})
}

// falco reads one Falco JSON output line.
func falco(raw map[string]json.RawMessage) (Event, bool, error) {
	var fields map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw["output_fields"]))
	dec.UseNumber() // evt.time is nanoseconds: more digits than a float64 holds
	if err := dec.Decode(&fields); err != nil {
		return Event{}, false, fmt.Errorf("output_fields: %w", err)
	}
	str := func(keys ...string) string {
		for _, k := range keys {
			switch v := fields[k].(type) {
			case string:
				if v != "" && v != "<NA>" {
					return v
				}
			case json.Number:
				return v.String()
			}
		}
		return ""
	}
	ev := Event{Format: "falco",
		Namespace:   str("k8s.ns.name", "k8smeta.ns.name"),
		Pod:         str("k8s.pod.name", "k8smeta.pod.name"),
		ContainerID: str("container.id"),
		PodIP:       str("k8s.pod.ip", "k8smeta.pod.ip", "container.ip"),
		File:        str("fd.name", "fd.filename", "evt.arg.filename", "evt.arg.name"),
		Program:     str("proc.name"),
	}
	if ev.Program == "" {
		if c := strings.Fields(str("proc.cmdline")); len(c) > 0 {
			ev.Program = path.Base(c[0])
		}
	}
	switch tty := fields["proc.tty"].(type) {
	case json.Number:
		ev.Interactive = tty.String() != "0"
	case string:
		ev.Interactive = tty != "" && tty != "0" && tty != "<NA>"
	}
	t, err := falcoTime(raw, fields)
	if err != nil {
		return ev, false, err
	}
	ev.Time = t
	return ev, ev.Namespace != "" && ev.Pod != "" && ev.File != "", nil
}

// falcoTime is evt.time (nanoseconds, or a time string) or the top-level
// time of the line.
func falcoTime(raw map[string]json.RawMessage, fields map[string]any) (time.Time, error) {
	switch v := fields["evt.time"].(type) {
	case json.Number:
		if n, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
			return time.Unix(0, n).UTC(), nil
		}
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t, nil
		}
	}
	var s string
	if json.Unmarshal(raw["time"], &s) == nil {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("no evt.time or time")
}

// tetragonProcess is the part of a Tetragon process kubegrant reads.
type tetragonProcess struct {
	Binary     string `json:"binary"`
	Arguments  string `json:"arguments"`
	InInitTree *bool  `json:"in_init_tree"`
	Pod        *struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		Container struct {
			ID string `json:"id"`
		} `json:"container"`
	} `json:"pod"`
}

// tetragon reads one Tetragon JSON export line.
func tetragon(raw map[string]json.RawMessage) (Event, bool, error) {
	var body struct {
		Process tetragonProcess `json:"process"`
		Args    []struct {
			FileArg *struct {
				Path string `json:"path"`
			} `json:"file_arg"`
			PathArg *struct {
				Path string `json:"path"`
			} `json:"path_arg"`
		} `json:"args"`
	}
	key := "process_kprobe"
	if raw[key] == nil {
		key = "process_exec"
	}
	if err := json.Unmarshal(raw[key], &body); err != nil {
		return Event{}, false, fmt.Errorf("%s: %w", key, err)
	}
	p := body.Process
	ev := Event{Format: "tetragon", Program: path.Base(p.Binary)}
	if p.Pod != nil {
		ev.Namespace, ev.Pod, ev.ContainerID = p.Pod.Namespace, p.Pod.Name, p.Pod.Container.ID
	}
	ev.Interactive = p.InInitTree != nil && !*p.InInitTree
	for _, a := range body.Args {
		switch {
		case a.FileArg != nil && a.FileArg.Path != "":
			ev.File = a.FileArg.Path
		case a.PathArg != nil && a.PathArg.Path != "":
			ev.File = a.PathArg.Path
		}
		if ev.File != "" {
			break
		}
	}
	if ev.File == "" && key == "process_exec" {
		// cat /var/run/secrets/…/token: the file is an argument.
		for _, arg := range strings.Fields(p.Arguments) {
			if strings.Contains(arg, "/serviceaccount/") {
				ev.File = arg
				break
			}
		}
	}
	var s string
	if json.Unmarshal(raw["time"], &s) != nil {
		return ev, false, fmt.Errorf("no time")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return ev, false, fmt.Errorf("time: %w", err)
	}
	ev.Time = t
	return ev, ev.Namespace != "" && ev.Pod != "" && ev.File != "", nil
}
