package e2e

import "syscall"

// procAttr puts a subprocess in its own process group (signals reach it
// alone) and has the kernel kill it if the test binary dies first (a
// -timeout panic, a kill): no orphaned Prometheus keeps its port.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
