package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxErrorBody bounds what we read of an error answer.
const maxErrorBody = 512

// postJSON sends body to u and classifies the outcome. Errors name the host
// only: webhook URLs (Slack's in particular) embed their secret in the path.
func postJSON(ctx context.Context, client *http.Client, u *url.URL, body []byte, header http.Header) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("building request to %s: %w", u.Host, redact(err))
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "golive-receiver")
	resp, err := client.Do(req)
	if err != nil {
		return retryableErr(err), fmt.Errorf("POST to %s: %w", u.Host, redact(err))
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	return retryableStatus(resp.StatusCode), fmt.Errorf("POST to %s: %w", u.Host, &StatusError{Code: resp.StatusCode, Body: clean(excerpt)})
}

// redact drops *url.Error, whose message prints the URL: its path or query
// may be the credential (a Slack webhook's path is), and net/http masks
// only a password. The cause stays for errors.Is/As; callers name the host.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func clean(b []byte) string {
	s := strings.TrimSpace(string(b))
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	return strings.Join(strings.Fields(s), " ")
}
