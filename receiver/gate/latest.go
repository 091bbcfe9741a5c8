package gate

import (
	"context"
	"encoding/json"
	"fmt"
)

// Latest returns a gate's newest stored decision without evaluating it
// (the console lists gates with it): store.ErrNotFound when the gate has
// none yet, ErrUnknownGate for a name the config does not define.
func (s *Service) Latest(ctx context.Context, name string) (Decision, error) {
	if _, ok := s.gates[name]; !ok {
		return Decision{}, fmt.Errorf("%w %q", ErrUnknownGate, name)
	}
	row, err := s.store.LatestGateDecision(ctx, name)
	if err != nil {
		return Decision{}, err
	}
	var d Decision
	if err := json.Unmarshal(row.Body, &d); err != nil {
		return Decision{}, fmt.Errorf("gate decision %d: %w", row.ID, err)
	}
	d.ID = row.ID
	return d, nil
}
