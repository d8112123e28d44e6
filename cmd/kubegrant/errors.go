package main

import (
	"errors"
	"fmt"
	"io"
)

// exitError carries the process exit code of a failed run.
type exitError struct {
	code int
	err  error
	// help is the command that shows the usage a usage error needs
	// ("kubegrant help scan"); "kubegrant help" when empty.
	help string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a bad command line: exit code 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// errFindings means findings at or above --fail-on were reported: exit 3.
// The report itself has been written; nothing more is printed.
var errFindings = &exitError{code: 3, err: errors.New("findings at or above the --fail-on severity")}

// errHelp means -h was asked for and usage was printed: exit 0.
var errHelp = &exitError{code: 0, err: errors.New("help requested")}

// exitCode maps a run's error to the process exit code, printing the error
// unless it speaks for itself (findings, help). Any other error is a
// runtime error: exit 1.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var e *exitError
	if errors.As(err, &e) {
		if e != errFindings && e != errHelp {
			fmt.Fprintf(stderr, "kubegrant: %v\n", err)
			if e.code == 2 {
				help := e.help
				if help == "" {
					help = "kubegrant help"
				}
				fmt.Fprintf(stderr, "Run '%s' for usage.\n", help)
			}
		}
		return e.code
	}
	fmt.Fprintf(stderr, "kubegrant: %v\n", err)
	return 1
}
