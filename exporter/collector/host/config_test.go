package host

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestConfigDefaults(t *testing.T) {
	var c Config
	if err := yaml.Unmarshal([]byte("enabled: true\n"), &c); err != nil {
		t.Fatal(err)
	}
	if c.Filesystem.MountPointsExclude != DefaultMountPointsExclude || c.Netdev.DeviceExclude != DefaultNetDeviceExclude ||
		c.Paths.Procfs != "/proc" || c.Filesystem.MountTimeout != DefaultMountTimeout {
		t.Errorf("defaults not applied: %+v", c)
	}
	cs, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	// filesystem and textfile on their own, the rest in the host group,
	// in AllCollectors's order.
	var top, inGroup []string
	for _, x := range cs {
		top = append(top, x.Name())
		if g, ok := x.(*group); ok {
			for _, m := range g.members {
				inGroup = append(inGroup, m.Name())
			}
		}
	}
	if strings.Join(top, ",") != "host,filesystem,textfile" {
		t.Errorf("New returned %v, want [host filesystem textfile]", top)
	}
	want := slices.DeleteFunc(slices.Clone(AllCollectors), func(n string) bool { return n == Filesystem || n == Textfile })
	if !slices.Equal(inGroup, want) {
		t.Errorf("host group runs %v, want %v", inGroup, want)
	}
}

func TestConfigOverridesAndDisable(t *testing.T) {
	var c Config
	in := `
enabled: true
collectors: [cpu, netdev]
netdev: {device_exclude: ""}
filesystem: {mount_timeout: 2s}
`
	if err := yaml.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if c.Netdev.DeviceExclude != "" || c.Filesystem.MountTimeout != 2*time.Second || c.Diskstats.DeviceExclude != DefaultDiskDeviceExclude {
		t.Errorf("got %+v", c)
	}
	cs, err := New(c, nil)
	if err != nil || len(cs) != 1 || cs[0].Name() != Host || len(members(cs)) != 2 || members(cs)[CPU] == nil || members(cs)[Netdev] == nil {
		t.Errorf("New = %v, %v", cs, err)
	}
	c.Enabled = false
	if cs, err := New(c, nil); err != nil || len(cs) != 0 {
		t.Errorf("disabled host: New = %v, %v", cs, err)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	tests := []struct{ in, want string }{
		{"filesystem: {mount_points_exclude: '(['}", "filesystem.mount_points_exclude: invalid regular expression"},
		{"netdev: {device_exclude: '*'}", "netdev.device_exclude: invalid regular expression"},
		{"diskstats: {device_exclude: 'a)'}", "diskstats.device_exclude: invalid regular expression"},
		{"collectors: [cpu, disk]", `collectors[1]: "disk" is not one of`},
		{"filesystem: {mount_timeout: 0s}", "filesystem.mount_timeout must be positive"},
		{"paths: {procfs: ''}", "paths.procfs must not be empty"},
		{"vmstat: {fields: '(['}", "vmstat.fields: invalid regular expression"},
		{"netstat: {fields: '+'}", "netstat.fields: invalid regular expression"},
		{"netclass: {ignored_devices: 'x{2,1}'}", "netclass.ignored_devices: invalid regular expression"},
		{"collectors: [cpu, textfiles]", `collectors[1]: "textfiles" is not one of`},
	}
	for _, tt := range tests {
		var c Config
		err := yaml.Unmarshal([]byte(tt.in), &c)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

// The README's host block shows every setting with its default: it must
// parse, and say what Default says.
func TestReadmeShowsTheDefaults(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const start = "```yaml\nhost:\n  enabled: true\n  collectors: []"
	i := strings.Index(string(b), start)
	if i < 0 {
		t.Fatal("README has no host configuration block")
	}
	block := string(b[i+len("```yaml\n"):])
	block = block[:strings.Index(block, "```")]
	var doc struct {
		Host Config `yaml:"host"`
	}
	if err := yaml.Unmarshal([]byte(block), &doc); err != nil {
		t.Fatalf("README host block: %v", err)
	}
	if len(doc.Host.Collectors) == 0 {
		doc.Host.Collectors = nil // "[]": all of them, as Default's nil
	}
	if !reflect.DeepEqual(doc.Host, Default) {
		t.Errorf("README host block = %+v\nDefault = %+v", doc.Host, Default)
	}
}
