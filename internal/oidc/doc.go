// Package oidc logs users in through an OpenID Provider: the server is
// the relying party, a confidential client of the provider. Begin starts
// a login (state, nonce and a PKCE verifier, kept in memory for ten
// minutes) and gives the URL to send the user to; Callback takes the
// provider's redirect back, redeems the code with the client's secret
// and the verifier, and verifies the ID token (signature against the
// provider's published keys, issuer, audience, expiry, nonce); Wait hands
// the result to the CLI that began the login and polls for it.
//
// A state is redeemed once: a replayed callback is refused. The logins in
// progress live in this process, so the callback must reach the server
// that began the login.
package oidc
