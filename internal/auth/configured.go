package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tuskdata/tusk/internal/meta"
)

// configAdmins is the config key of the users that the server's
// configuration (tusk up --oidc-admin) made cluster admins, a JSON list.
// A cluster admin made by hand (auth set cluster) is not in it, so only
// the configuration's own grants are taken back when it stops naming a
// user.
const configAdmins = "auth_configured_admins"

// GrantConfiguredAdmin makes subject a cluster admin because the
// server's configuration names it. If it is one already by another
// grant, that grant stays its own.
func (s *Service) GrantConfiguredAdmin(ctx context.Context, subject string) error {
	return s.update(ctx, func(tx *meta.Tx) error {
		made, err := configuredAdmins(ctx, tx)
		if err != nil {
			return err
		}
		if slices.Contains(made, subject) {
			return nil
		}
		roles, err := clusterRoles(ctx, tx, subject)
		if err != nil || slices.Contains(roles, ClusterAdmin) {
			return err
		}
		if err := tx.SetRoles(ctx, Cluster, subject, append(roles, ClusterAdmin)); err != nil {
			return fmt.Errorf("make %s a cluster admin: %w", subject, err)
		}
		return setConfiguredAdmins(ctx, tx, append(made, subject))
	})
}

// RevokeUnconfiguredAdmins takes clusterAdmin back from the users that
// the configuration made cluster admins and no longer names (admins),
// and returns them.
func (s *Service) RevokeUnconfiguredAdmins(ctx context.Context, admins []string) ([]string, error) {
	var revoked []string
	err := s.update(ctx, func(tx *meta.Tx) error {
		revoked = nil
		made, err := configuredAdmins(ctx, tx)
		if err != nil {
			return err
		}
		var keep []string
		for _, subject := range made {
			if slices.Contains(admins, subject) {
				keep = append(keep, subject)
				continue
			}
			roles, err := clusterRoles(ctx, tx, subject)
			if err != nil {
				return err
			}
			roles = slices.DeleteFunc(roles, func(r string) bool { return r == ClusterAdmin })
			if err := tx.SetRoles(ctx, Cluster, subject, roles); err != nil {
				return fmt.Errorf("take clusterAdmin from %s: %w", subject, err)
			}
			revoked = append(revoked, subject)
		}
		if len(revoked) == 0 {
			return nil
		}
		return setConfiguredAdmins(ctx, tx, keep)
	})
	return revoked, err
}

func configuredAdmins(ctx context.Context, tx *meta.Tx) ([]string, error) {
	v, ok, err := tx.Config(ctx, configAdmins)
	if err != nil || !ok {
		return nil, err
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, fmt.Errorf("read the configured cluster admins: %w", err)
	}
	return out, nil
}

func setConfiguredAdmins(ctx context.Context, tx *meta.Tx, subjects []string) error {
	b, err := json.Marshal(subjects)
	if err != nil {
		return err
	}
	return tx.SetConfig(ctx, configAdmins, string(b))
}

// clusterRoles returns the roles subject has on the cluster.
func clusterRoles(ctx context.Context, tx *meta.Tx, subject string) ([]string, error) {
	bs, err := tx.RoleBindingsOf(ctx, subject)
	if err != nil {
		return nil, err
	}
	var roles []string
	for _, b := range bs {
		if b.Resource == Cluster {
			roles = append(roles, b.Role)
		}
	}
	return roles, nil
}
