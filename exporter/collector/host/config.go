package host

import (
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"regexp"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults follow node_exporter's current release on Linux, so a golive host
// reports the same filesystems and disks a node_exporter would.
const (
	DefaultMountPointsExclude = `^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`
	DefaultFSTypesExclude     = `^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$`
	DefaultDiskDeviceExclude  = `^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$`
	// node_exporter excludes nothing (Debian: ^lo$). We also drop the
	// per-container and overlay-network links, whose traffic is already counted
	// on the physical interface and whose names churn with every container.
	DefaultNetDeviceExclude = `^(lo|veth.*|cali.*|flannel\..*|cni\d+|docker\d+|br-[0-9a-f]{12}|[a-f0-9]{15})$`
	DefaultMountTimeout     = 5 * time.Second
	// The field sets of node_exporter's current release
	// (--collector.vmstat.fields, --collector.netstat.fields): what its
	// dashboards and the node-mixin use, not the hundreds of fields the files
	// hold.
	DefaultVMStatFields  = `^(oom_kill|pgpg|pswp|pg.*fault).*`
	DefaultNetStatFields = `^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$`
)

// Sub-collector names, which are also the values of the collector label of
// golive_exporter_collector_success.
const (
	CPU        = "cpu"
	Loadavg    = "loadavg"
	Meminfo    = "meminfo"
	Filesystem = "filesystem"
	Diskstats  = "diskstats"
	Netdev     = "netdev"
	Time       = "time"
	Stat       = "stat"
	VMStat     = "vmstat"
	NetStat    = "netstat"
	Sockstat   = "sockstat"
	Timex      = "timex"
	Conntrack  = "conntrack"
	Pressure   = "pressure"
	Netclass   = "netclass"
	Filefd     = "filefd"
	Entropy    = "entropy"
	Uname      = "uname"
	OS         = "os"
	Textfile   = "textfile"
	ARP        = "arp"
	Softnet    = "softnet"
	Schedstat  = "schedstat"
)

// AllCollectors lists every host sub-collector in the order New returns them.
// All are on by default, as they are in node_exporter: together they are
// what the Node Exporter Full dashboard and the node-mixin query.
var AllCollectors = []string{
	CPU, Loadavg, Meminfo, Filesystem, Diskstats, Netdev, Time,
	Stat, VMStat, NetStat, Sockstat, Timex, Conntrack, Pressure, Netclass, Filefd, Entropy, Uname, OS, Textfile,
	ARP, Softnet, Schedstat,
}

// Config is the host section of the exporter config.
type Config struct {
	Enabled bool `yaml:"enabled"`
	// Collectors selects sub-collectors; empty means all of them.
	Collectors []string         `yaml:"collectors,omitempty"`
	Paths      Paths            `yaml:"paths"`
	Filesystem FilesystemConfig `yaml:"filesystem"`
	Diskstats  DiskstatsConfig  `yaml:"diskstats"`
	Netdev     NetdevConfig     `yaml:"netdev"`
	Netclass   NetclassConfig   `yaml:"netclass"`
	VMStat     FieldsConfig     `yaml:"vmstat"`
	NetStat    FieldsConfig     `yaml:"netstat"`
	Textfile   TextfileConfig   `yaml:"textfile"`
}

// Paths are node_exporter's --path.procfs, --path.sysfs and --path.rootfs: set
// them when golive runs in a container with the host's / mounted elsewhere.
type Paths struct {
	Procfs string `yaml:"procfs"`
	Sysfs  string `yaml:"sysfs"`
	Rootfs string `yaml:"rootfs"`
}

// FilesystemConfig filters mounts. An empty regexp excludes nothing.
type FilesystemConfig struct {
	MountPointsExclude string `yaml:"mount_points_exclude"`
	FSTypesExclude     string `yaml:"fs_types_exclude"`
	// MountTimeout is how long a statfs may block (a dead NFS server) before
	// the mount is reported with device_error="mountpoint timeout" and skipped
	// until the stuck call returns.
	MountTimeout time.Duration `yaml:"mount_timeout"`
}

// DiskstatsConfig filters block devices.
type DiskstatsConfig struct {
	DeviceExclude string `yaml:"device_exclude"`
}

// NetdevConfig filters network interfaces.
type NetdevConfig struct {
	DeviceExclude string `yaml:"device_exclude"`
}

// NetclassConfig filters the interfaces of /sys/class/net
// (--collector.netclass.ignored-devices).
type NetclassConfig struct {
	IgnoredDevices string `yaml:"ignored_devices"`
}

// FieldsConfig selects the fields of /proc/vmstat or /proc/net/{netstat,snmp,snmp6}
// (--collector.vmstat.fields, --collector.netstat.fields).
type FieldsConfig struct {
	Fields string `yaml:"fields"`
}

// TextfileConfig is --collector.textfile.directory: the directory (or glob of
// directories) whose *.prom files are exported. Empty exports only
// node_textfile_scrape_error.
type TextfileConfig struct {
	Directory string `yaml:"directory"`
}

// Default is the configuration used for fields the file leaves out.
var Default = Config{
	Enabled: true,
	Paths:   Paths{Procfs: "/proc", Sysfs: "/sys", Rootfs: "/"},
	Filesystem: FilesystemConfig{
		MountPointsExclude: DefaultMountPointsExclude,
		FSTypesExclude:     DefaultFSTypesExclude,
		MountTimeout:       DefaultMountTimeout,
	},
	Diskstats: DiskstatsConfig{DeviceExclude: DefaultDiskDeviceExclude},
	Netdev:    NetdevConfig{DeviceExclude: DefaultNetDeviceExclude},
	// node_exporter ignores none; the same links as netdev are dropped, so
	// that node_network_up and node_network_receive_bytes_total describe
	// the same interfaces, and churning veths cost nothing.
	Netclass: NetclassConfig{IgnoredDevices: DefaultNetDeviceExclude},
	VMStat:   FieldsConfig{Fields: DefaultVMStatFields},
	NetStat:  FieldsConfig{Fields: DefaultNetStatFields},
}

// UnmarshalYAML applies the defaults and validates. Unknown keys are
// rejected by exporter/config, which walks the whole document.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = Default
	type plain Config
	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
		return err
	}
	return c.Validate()
}

// Validate checks every field and names the offending one.
func (c *Config) Validate() error {
	for i, name := range c.Collectors {
		if !slices.Contains(AllCollectors, name) {
			return fmt.Errorf("collectors[%d]: %q is not one of %v", i, name, AllCollectors)
		}
	}
	for _, p := range []struct{ field, value string }{
		{"paths.procfs", c.Paths.Procfs}, {"paths.sysfs", c.Paths.Sysfs}, {"paths.rootfs", c.Paths.Rootfs},
	} {
		if p.value == "" {
			return fmt.Errorf("%s must not be empty", p.field)
		}
	}
	if c.Filesystem.MountTimeout <= 0 {
		return fmt.Errorf("filesystem.mount_timeout must be positive, got %s", c.Filesystem.MountTimeout)
	}
	for _, r := range []struct{ field, expr string }{
		{"filesystem.mount_points_exclude", c.Filesystem.MountPointsExclude},
		{"filesystem.fs_types_exclude", c.Filesystem.FSTypesExclude},
		{"diskstats.device_exclude", c.Diskstats.DeviceExclude},
		{"netdev.device_exclude", c.Netdev.DeviceExclude},
		{"netclass.ignored_devices", c.Netclass.IgnoredDevices},
		{"vmstat.fields", c.VMStat.Fields},
		{"netstat.fields", c.NetStat.Fields},
	} {
		if _, err := compileExclude(r.expr); err != nil {
			return fmt.Errorf("%s: %w", r.field, err)
		}
	}
	return nil
}

// enabled reports whether the sub-collector name should run.
func (c *Config) enabled(name string) bool {
	return len(c.Collectors) == 0 || slices.Contains(c.Collectors, name)
}

// compileExclude compiles an exclusion regexp; "" means exclude nothing (a
// compiled "" would match, and so exclude, everything).
func compileExclude(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression: %w", err)
	}
	return re, nil
}

func excluded(re *regexp.Regexp, s string) bool {
	return re != nil && re.MatchString(s)
}
