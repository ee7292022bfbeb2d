package pps

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tuskdata/tusk/internal/meta"
	"github.com/tuskdata/tusk/internal/pps/spec"
)

// configDefaults is the metadata config key of the cluster's pipeline
// defaults (JSON; empty when there are none).
const configDefaults = "pipeline_defaults"

// Defaults returns the cluster's pipeline defaults, nil if none are set.
func (a *API) Defaults(ctx context.Context) (spec.Defaults, error) {
	var d spec.Defaults
	err := a.db.View(ctx, func(tx *meta.Tx) error {
		v, ok, err := tx.Config(ctx, configDefaults)
		if err != nil || !ok || v == "" {
			return err
		}
		if err := json.Unmarshal([]byte(v), &d); err != nil {
			return fmt.Errorf("the stored pipeline defaults: %w", err)
		}
		return nil
	})
	return d, err
}

// SetDefaults sets the cluster's pipeline defaults, or removes them when
// d is nil. They apply to the specs created or updated afterwards.
func (a *API) SetDefaults(ctx context.Context, d spec.Defaults) error {
	v := ""
	if d != nil {
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		v = string(b)
	}
	return a.db.Update(ctx, func(tx *meta.Tx) error { return tx.SetConfig(ctx, configDefaults, v) })
}
