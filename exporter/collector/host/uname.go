package host

import (
	"bytes"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// uname (uname(2)). The Node Exporter Full dashboard takes its host
// variable from node_uname_info's nodename.
var unameDesc = desc("node_uname_info", "Labeled system information as provided by the uname system call.",
	"sysname", "release", "version", "machine", "nodename", "domainname")

func newUnameCollector() simple {
	return simple{name: Uname, update: func(ch chan<- prometheus.Metric) error {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			return err
		}
		ch <- prometheus.MustNewConstMetric(unameDesc, prometheus.GaugeValue, 1,
			cString(u.Sysname[:]), cString(u.Release[:]), cString(u.Version[:]),
			cString(u.Machine[:]), cString(u.Nodename[:]), cString(u.Domainname[:]))
		return nil
	}}
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
