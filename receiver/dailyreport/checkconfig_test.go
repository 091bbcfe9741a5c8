package dailyreport_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-ops/golive/internal/checkconfig"
	"github.com/golive-ops/golive/internal/cli"
)

// golive check-config covers the report section of a receiver config.
func TestCheckConfigCoversTheReportSection(t *testing.T) {
	base := "auth: {disabled: true}\nnotify:\n  channels:\n  - name: ops-mail\n    email: {smarthost: \"127.0.0.1:25\", from: a@example.org, to: [b@example.org]}\n"
	for _, c := range []struct{ report, want string }{
		{"report:\n  to: [sre@example.org]\n  channel: ops-mail\n  prometheus_url: http://127.0.0.1:9090\n  at: \"06:30\"\n", "SUCCESS"},
		{"report:\n  to: [sre@example.org]\n  chanel: ops-mail\n", "line 8: report.chanel: unknown field (did you mean channel?)"},
		{"report:\n  to: [sre@example.org]\n  channel: ops-mail\n  prometheus_url: ftp://x\n", "report.prometheus_url"},
	} {
		f := filepath.Join(t.TempDir(), "receiver.yml")
		if err := os.WriteFile(f, []byte(base+c.report), 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		code := checkconfig.Command(context.Background(), cli.Env{Args: []string{"--receiver", f}, Stdout: &out, Stderr: &out})
		if wantCode := map[bool]int{true: 0, false: 1}[c.want == "SUCCESS"]; code != wantCode || !strings.Contains(out.String(), c.want) {
			t.Errorf("%q: exit %d, %q; want %d and %q", c.report, code, out.String(), wantCode, c.want)
		}
	}
}
