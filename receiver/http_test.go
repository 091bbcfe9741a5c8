package receiver

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/golive-ops/golive/receiver/config"
)

func newHTTPClient() *http.Client { return &http.Client{Timeout: 10 * time.Second} }

func postWith(c *http.Client, url string, body []byte) (int, error) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func demoConfigFrom(path string) *config.Config {
	c, err := config.Load(path)
	if err != nil {
		panic(err)
	}
	return c
}
