package host

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestParseProcStatCPUs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []cpuStat
		wantErr string
	}{
		{
			name: "skips the total and non-cpu lines, converts USER_HZ ticks to seconds",
			in:   "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 100 2 3 4 5 6 7 8 9 10\nintr 5 5\ncpu12 1 0 0 250 0 0 0 0 0 0\nbtime 1\n",
			want: []cpuStat{
				{id: 0, times: cpuTimes{1, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1}},
				{id: 12, times: cpuTimes{0.01, 0, 0, 2.5}},
			},
		},
		{
			name: "old kernels without steal and guest columns",
			in:   "cpu0 1 2 3 4 5 6 7\n",
			want: []cpuStat{{id: 0, times: cpuTimes{0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07}}},
		},
		{name: "too few columns", in: "cpu0 1 2 3\n", wantErr: "want at least 4"},
		{name: "garbage value", in: "cpu0 1 2 x 4\n", wantErr: `system "x"`},
		{name: "negative value", in: "cpu0 1 2 -3 4\n", wantErr: "invalid number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStatCPUs([]byte(tt.in), nil)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == "" && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseProcStatTotals(t *testing.T) {
	full := "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 693893 0 12 7\nctxt 1405840\nbtime 1795316993\nprocesses 15272\nprocs_running 3\nprocs_blocked 1\nsoftirq 5 1 1\n"
	tests := []struct {
		in      string
		want    procStat
		wantErr string
	}{
		{in: full, want: procStat{ctxt: 1405840, intr: 693893, btime: 1795316993, processes: 15272, running: 3, blocked: 1}},
		{in: "cpu 1 2 3 4\nctxt 1\nintr 2\nprocesses 3\nprocs_running 4\nprocs_blocked 5\n", wantErr: "no btime line"},
		{in: strings.Replace(full, "btime 1795316993", "btime soon", 1), wantErr: `btime "soon": invalid number`},
	}
	for _, tt := range tests {
		got, err := parseProcStatTotals([]byte(tt.in))
		checkErr(t, err, tt.wantErr)
		if tt.wantErr == "" && got != tt.want {
			t.Errorf("parseProcStatTotals(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseMeminfo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []memField
		wantErr string
	}{
		{
			name: "kB becomes bytes with a _bytes suffix, counts stay bare, (x) becomes _x",
			in:   "MemTotal:       24684092 kB\nActive(anon):      27068 kB\nHugePages_Total:       4\nNFS_Unstable:  0 kB\n",
			want: []memField{
				{"MemTotal_bytes", 24684092 * 1024},
				{"Active_anon_bytes", 27068 * 1024},
				{"HugePages_Total", 4},
				{"NFS_Unstable_bytes", 0},
			},
		},
		{name: "no colon", in: "MemTotal 1 kB\n", wantErr: "invalid line"},
		{name: "unknown unit", in: "MemTotal: 1 MB\n", wantErr: `unknown unit "MB"`},
		{name: "bad number", in: "MemTotal: 1.5 kB\n", wantErr: "invalid number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMeminfo([]byte(tt.in), &nameCache{})
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == "" && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseMountinfo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []mount
		wantErr string
	}{
		{
			name: "plain",
			in:   "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n",
			want: []mount{{device: "/dev/vda", mountPoint: "/", fsType: "ext4", major: "254", minor: "0"}},
		},
		{
			name: "optional fields, escaped space, ro in super options",
			in:   "28 27 254:16 / /srv/My\\040Data rw,relatime shared:5 master:1 - xfs /dev/vdb1 ro,attr2\n",
			want: []mount{{device: "/dev/vdb1", mountPoint: "/srv/My Data", fsType: "xfs", major: "254", minor: "16", readOnly: true}},
		},
		{
			name: "ro in mount options, tab escape",
			in:   "29 27 0:25 / /mnt/a\\011b ro,nosuid - tmpfs tmpfs rw,size=4k\n",
			want: []mount{{device: "tmpfs", mountPoint: "/mnt/a\tb", fsType: "tmpfs", major: "0", minor: "25", readOnly: true}},
		},
		{
			name: "an option merely containing ro is not ro",
			in:   "29 27 0:25 / /x rw,errors=remount-ro - ext4 /dev/x rw,ronly\n",
			want: []mount{{device: "/dev/x", mountPoint: "/x", fsType: "ext4", major: "0", minor: "25"}},
		},
		{name: "no separator", in: "27 1 254:0 / / rw,relatime ext4 /dev/vda rw\n", wantErr: "invalid mountinfo line"},
		{name: "truncated after separator", in: "27 1 254:0 / / rw - ext4\n", wantErr: "invalid mountinfo line"},
		{name: "bad device number", in: "27 1 2540 / / rw - ext4 /dev/vda rw\n", wantErr: "invalid major:minor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMountinfo([]byte(tt.in))
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == "" && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseDiskstats(t *testing.T) {
	exclude := regexp.MustCompile(DefaultDiskDeviceExclude)
	in := ` 254 0 vda 75335 8724 2545410 15627 34058 65433 6857736 15512 0 8200 32082 12292 62 1577576 750 5648 191
 254 1 vda1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
   7 0 loop0 0 0 0 0 0 0 0 0 0 0 0
   8 0 sdb 1 2 3 4 5 6 7 8 9 10 11
 259 0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20
`
	got, err := parseDiskstats([]byte(in), exclude, &internCache{})
	if err != nil {
		t.Fatal(err)
	}
	want := []diskStat{
		{device: "vda", n: 17, values: [17]uint64{75335, 8724, 2545410, 15627, 34058, 65433, 6857736, 15512, 0, 8200, 32082, 12292, 62, 1577576, 750, 5648, 191}},
		{device: "sdb", n: 11, values: [17]uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		// Columns a newer kernel adds beyond the 17 node_exporter knows are ignored.
		{device: "nvme0n1", n: 17, values: [17]uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	for _, bad := range []struct{ in, wantErr string }{
		{"8 0 sdb 1 2 3\n", "want at least 14"},
		{"8 0 sdb 1 2 3 4 5 6 7 8 9 10 x\n", `sdb column 14 "x"`},
	} {
		_, err := parseDiskstats([]byte(bad.in), nil, &internCache{})
		checkErr(t, err, bad.wantErr)
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("got no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	}
}

func TestDiskDescsMatchColumns(t *testing.T) {
	if len(diskDescs) != maxDiskColumns {
		t.Fatalf("len(diskDescs) = %d, maxDiskColumns = %d", len(diskDescs), maxDiskColumns)
	}
}
