package host

import (
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// TestNetlinkMatchesSysfs reads this machine's interfaces both ways: the
// netlink fast path must report exactly what /sys/class/net shows.
func TestNetlinkMatchesSysfs(t *testing.T) {
	hfs := newFS(Default.Paths)
	c := &netclassCollector{fs: hfs, logger: slog.New(slog.DiscardHandler), fixed: map[string]fixedAttrs{}}
	links, err := dumpLinks()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) == 0 {
		t.Fatal("netlink reported no interface, not even lo")
	}
	for n := range links {
		l := &links[n]
		if err := c.sysfsOnly(l); err != nil {
			t.Fatal(err)
		}
		want, err := c.readIface(l.iface.Name)
		if err != nil {
			t.Fatalf("%s: %v", l.iface.Name, err)
		}
		if got := l.iface; !reflect.DeepEqual(&got, want) {
			t.Errorf("%s:\nnetlink %s\nsysfs   %s", got.Name, ifaceString(&got), ifaceString(want))
		}
	}
}

// ifaceString shows the values behind NetClassIface's pointers.
func ifaceString(i any) string {
	v := reflect.ValueOf(i).Elem()
	var b strings.Builder
	for n := range v.NumField() {
		f := v.Field(n)
		switch {
		case f.Kind() == reflect.Pointer && f.IsNil():
			fmt.Fprintf(&b, "%s=nil ", v.Type().Field(n).Name)
		case f.Kind() == reflect.Pointer:
			fmt.Fprintf(&b, "%s=%v ", v.Type().Field(n).Name, f.Elem().Interface())
		default:
			fmt.Fprintf(&b, "%s=%q ", v.Type().Field(n).Name, f.Interface())
		}
	}
	return b.String()
}

func TestParseLinksRejectsTruncatedMessages(t *testing.T) {
	// A RTM_NEWLINK header announcing 32 bytes with only 20: the kernel
	// never sends that, a parser must not read past it.
	msg := make([]byte, 20)
	msg[0] = 32
	msg[4] = syscall.RTM_NEWLINK
	if _, err := parseLinks(msg); err == nil {
		t.Error("parseLinks accepted a truncated message")
	}
}
