package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sort"

	"github.com/spf13/pflag"

	"github.com/kubegrant/kubegrant/reports"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module's build info.
var version = ""

// stdio is the injected standard I/O of one run, so that tests run the
// whole CLI in-process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, args []string, io stdio) error
}

var commands = map[string]command{
	"scan":    {"find risky RBAC grants in manifests (and prove their use from audit logs)", runScan},
	"rules":   {"list the rules of the catalogue", runRules},
	"who-can": {"list who may make a request (groups expanded, bindings with file:line)", runWhoCan},
	"can":     {"list what an identity may do (and, with --audit-log, what it used)", runCan},
	"test":    {"run the Rego tests of your own policies (--policy directories)", runTest},
	"version": {"print the version", runVersion},
}

// run executes one kubegrant command line (without the program name).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	io := stdio{in: stdin, out: stdout, err: stderr}
	if len(args) == 0 {
		printUsage(stderr)
		return usageErrorf("no command given")
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 && args[0] == "help" {
			// kubegrant help scan: the command's own usage.
			if _, ok := commands[args[1]]; !ok {
				return usageErrorf("unknown command %q", args[1])
			}
			return run(ctx, []string{args[1], "-h"}, stdin, stdout, stderr)
		}
		printUsage(stdout)
		return nil
	case "--version":
		return runVersion(ctx, nil, io)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return usageErrorf("unknown command %q", args[0])
	}
	err := cmd.run(ctx, args[1:], io)
	var e *exitError
	if errors.As(err, &e) && e.code == 2 && e.help == "" {
		e.help = "kubegrant help " + args[0] // where this command's flags are listed
	}
	return err
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "kubegrant finds risky Kubernetes RBAC grants and proves whether they were used.")
	fmt.Fprintln(w, "\nUsage:\n  kubegrant <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'kubegrant help <command>' (or 'kubegrant <command> -h') for the flags of a command.")
}

// newFlagSet makes a flag set that reports errors instead of exiting and
// prints usage only for -h.
func newFlagSet(name, usage string, io stdio) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.err)
	fs.Usage = func() {
		fmt.Fprintf(io.out, "Usage: kubegrant %s\n\nFlags:\n%s", usage, fs.FlagUsages())
	}
	return fs
}

// parseFlags parses args, turning -h into errHelp and bad flags into usage
// errors. pflag prints the usage for -h itself.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return errHelp
		}
		return usageErrorf("%v", err)
	}
	return nil
}

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func runVersion(_ context.Context, args []string, io stdio) error {
	fs := newFlagSet("version", "version", io)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("version takes no arguments")
	}
	_, err := fmt.Fprintf(io.out, "kubegrant %s\n", toolVersion())
	return err
}

func runRules(ctx context.Context, args []string, io stdio) error {
	fs := newFlagSet("rules", "rules [--format text|json|markdown] [--policy DIR]...", io)
	format := newEnum("text", "text", "json", "markdown")
	fs.Var(format, "format", "output format: "+format.choices())
	dirs := fs.StringArray("policy", nil, "also list the rules of your own policies in DIR (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("rules takes no arguments")
	}
	engine, err := loadEngine(ctx, *dirs)
	if err != nil {
		return err
	}
	rules := append(engine.Rules(), detectionRules()...)
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	return reports.WriteRules(io.out, rules, format.String())
}
