package main

import (
	"fmt"
	"slices"
	"strings"
)

// enumFlag is a string flag limited to a set of choices.
type enumFlag struct {
	value   string
	allowed []string
}

func newEnum(def string, allowed ...string) *enumFlag {
	return &enumFlag{value: def, allowed: allowed}
}

func (e *enumFlag) String() string { return e.value }
func (e *enumFlag) Type() string   { return "string" }
func (e *enumFlag) choices() string {
	return strings.Join(e.allowed, "|")
}

// Set accepts only one of the allowed values.
func (e *enumFlag) Set(v string) error {
	if !slices.Contains(e.allowed, v) {
		return fmt.Errorf("%q is not one of %s", v, e.choices())
	}
	e.value = v
	return nil
}
