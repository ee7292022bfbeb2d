// Package oidc logs users in through an OpenID Provider: the server is
// the relying party, a confidential client of the provider. Begin starts
// a login (state, nonce and a PKCE verifier, valid for ten minutes) and
// gives the URL to send the user to; Callback takes the provider's
// redirect back, redeems the code with the client's secret and the
// verifier, and verifies the ID token (signature against the provider's
// published keys, issuer, audience, expiry, nonce); Wait hands the result
// to the CLI that began the login and polls for it.
//
// Logins in progress live in a store that every server of a cluster
// shares (the metadata store), so Begin, Callback and Wait may each reach
// a different server. A state is redeemed once, even by servers racing on
// it: a replayed callback is refused. The store holds nothing a reader
// could use: secrets only as their SHA-256, the rest sealed (seal.go).
package oidc
