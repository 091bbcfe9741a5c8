package action

import "testing"

func TestSummary(t *testing.T) {
	for _, c := range []struct {
		r    Request
		want string
	}{
		{Request{Argv: []string{"/usr/bin/systemctl", "restart", "web.service"}}, "/usr/bin/systemctl restart web.service"},
		{Request{Argv: []string{"/bin/echo", "a b", ""}}, `/bin/echo "a b" ""`},
		{Request{Method: "PUT", URL: "http://lb/v1/backends/web/backup"}, "PUT http://lb/v1/backends/web/backup"},
		{Request{Detail: map[string]string{"unit": "web.service", "manager": "systemd"}}, "manager=systemd unit=web.service"},
	} {
		if got := c.r.Summary(); got != c.want {
			t.Errorf("Summary() = %q, want %q", got, c.want)
		}
	}
}
