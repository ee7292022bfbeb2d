// Package auth is who may do what: identities (users, robots and the
// robots that pipelines and their workers run as), their opaque bearer
// tokens, and the roles they hold on repos and the cluster, as Pachyderm
// has them. Tokens are random (32 bytes from crypto/rand) and stored only
// as their SHA-256, which is the right hash for secrets of that entropy;
// they may expire and be revoked. Everything is kept in the metadata
// store (package meta).
//
// Subjects are strings as in pachctl: "user:NAME", "robot:NAME" and
// "pipeline:NAME". Roles: repoReader < repoWriter < repoOwner on a repo,
// clusterAdmin on the cluster, which may do anything.
package auth
