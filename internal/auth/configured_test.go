package auth

import (
	"slices"
	"testing"
)

// TestConfiguredAdmins: a user the configuration made a cluster admin
// loses clusterAdmin once the configuration stops naming it; one made by
// hand keeps it, even if the configuration named it too for a while.
func TestConfiguredAdmins(t *testing.T) {
	ctx := t.Context()
	s := newService(t)
	isAdmin := func(subject string) bool {
		t.Helper()
		tok, err := s.Issue(ctx, subject, 0)
		if err != nil {
			t.Fatal(err)
		}
		g, err := s.Authenticate(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return g.Admin
	}
	const carol, dave = "user:carol@example.com", "user:dave@example.com"
	if err := s.SetRoles(ctx, Cluster, dave, []string{ClusterAdmin}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{carol, dave} {
		if err := s.GrantConfiguredAdmin(ctx, u); err != nil {
			t.Fatal(err)
		}
		if !isAdmin(u) {
			t.Fatalf("%s is no cluster admin after the configuration made it one", u)
		}
	}
	revoked, err := s.RevokeUnconfiguredAdmins(ctx, []string{carol, dave})
	if err != nil || len(revoked) != 0 {
		t.Fatalf("revoke with both configured: %v, %v; want none revoked", revoked, err)
	}
	revoked, err = s.RevokeUnconfiguredAdmins(ctx, nil)
	if err != nil || !slices.Equal(revoked, []string{carol}) {
		t.Fatalf("revoke with none configured: %v, %v; want %s revoked", revoked, err, carol)
	}
	if isAdmin(carol) {
		t.Errorf("%s is still a cluster admin after the configuration stopped naming it", carol)
	}
	if !isAdmin(dave) {
		t.Errorf("%s, made a cluster admin by hand, lost it", dave)
	}
	if revoked, err := s.RevokeUnconfiguredAdmins(ctx, nil); err != nil || len(revoked) != 0 {
		t.Errorf("a second revoke: %v, %v; want none revoked", revoked, err)
	}
}
