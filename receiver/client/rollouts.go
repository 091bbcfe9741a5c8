package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/golive-ops/golive/receiver/rollout"
)

// rawBody is a request body sent as it is, with its own content type.
type rawBody struct {
	contentType string
	data        []byte
}

// StartRollout submits a plan (YAML or JSON; YAML is a superset).
func (c *Client) StartRollout(ctx context.Context, plan []byte) (rollout.View, error) {
	var v rollout.View
	err := c.do(ctx, http.MethodPost, "/api/v1/rollouts", rawBody{"application/yaml", plan}, &v)
	return v, err
}

// Rollouts lists rollouts, newest first.
func (c *Client) Rollouts(ctx context.Context) ([]rollout.View, error) {
	var v []rollout.View
	err := c.do(ctx, http.MethodGet, "/api/v1/rollouts", nil, &v)
	return v, err
}

// Rollout returns one rollout with its stages, decisions and traffic changes.
func (c *Client) Rollout(ctx context.Context, id int64) (rollout.View, error) {
	var v rollout.View
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/rollouts/%d", id), nil, &v)
	return v, err
}

// RequestRollout asks for pause, resume or abort.
func (c *Client) RequestRollout(ctx context.Context, id int64, action string) (rollout.View, error) {
	var v rollout.View
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/rollouts/%d/%s", id, action), struct{}{}, &v)
	return v, err
}
