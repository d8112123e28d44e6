//go:build !linux

package kastest

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
