package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxBatchUsers bounds one batch (a select call answering millions of ids
// is a wrong query, and the ids are recorded for the rollback).
const MaxBatchUsers = 100000

// Route targets: where a batch's users are sent.
const (
	TargetCandidate = "candidate"
	TargetCurrent   = "current"
)

// UserData is what the users calls' templates see.
type UserData struct {
	Plan  string
	Batch string
	// Users (route only): the batch's user ids.
	Users []string
	// Target (route only): "candidate", or "current" on rollback.
	Target string
}

// BatchState is what the runner records for a routed batch, so a rollback
// routes back exactly the users that were moved.
type BatchState struct {
	Batch string   `json:"batch"`
	Users []string `json:"users"`
}

// UserRouter moves batches of users through two templated calls.
type UserRouter struct {
	plan  string
	sel   *caller
	route *caller
}

// NewUserRouter builds the calls of a users section.
func NewUserRouter(plan string, u *Users) (*UserRouter, error) {
	if u == nil {
		return nil, errors.New("plan has no users section")
	}
	sel, err := newCaller(&u.Select, "rollout_users_select")
	if err != nil {
		return nil, fmt.Errorf("users.select: %w", err)
	}
	route, err := newCaller(&u.Route, "rollout_users_route")
	if err != nil {
		return nil, fmt.Errorf("users.route: %w", err)
	}
	return &UserRouter{plan: plan, sel: sel, route: route}, nil
}

// Select asks which users are in batch. The answer is a JSON array of
// strings, or an object with a "users" array.
func (r *UserRouter) Select(ctx context.Context, batch string) ([]string, error) {
	_, resp, err := r.sel.do(ctx, UserData{Plan: r.plan, Batch: batch})
	if err != nil {
		return nil, fmt.Errorf("select batch %s: %w", batch, err)
	}
	users, err := parseUsers(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("select batch %s: %w", batch, err)
	}
	return users, nil
}

func parseUsers(body []byte) ([]string, error) {
	var list []string
	if err := json.Unmarshal(body, &list); err != nil {
		var obj struct {
			Users *[]string `json:"users"`
		}
		if err2 := json.Unmarshal(body, &obj); err2 != nil || obj.Users == nil {
			return nil, fmt.Errorf(`answer is neither a JSON array of user ids nor an object with a "users" array: %.100s`, body)
		}
		list = *obj.Users
	}
	if len(list) > MaxBatchUsers {
		return nil, fmt.Errorf("%d users in one batch, at most %d", len(list), MaxBatchUsers)
	}
	for i, u := range list {
		if u == "" {
			return nil, fmt.Errorf("user %d: empty id", i)
		}
	}
	return list, nil
}

// Route moves users of batch to target and returns the request it sent
// (for the timeline).
func (r *UserRouter) Route(ctx context.Context, batch string, users []string, target string) (Request, error) {
	if target != TargetCandidate && target != TargetCurrent {
		return Request{}, fmt.Errorf("route target %q is not candidate or current", target)
	}
	req, _, err := r.route.do(ctx, UserData{Plan: r.plan, Batch: batch, Users: users, Target: target})
	if err != nil {
		return req, fmt.Errorf("route batch %s to %s: %w", batch, target, err)
	}
	return req, nil
}
