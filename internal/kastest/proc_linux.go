package kastest

import "syscall"

// sysProcAttr makes the kernel kill etcd and the apiserver if the test
// binary dies without stopping them (a test timeout panics past Main).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
