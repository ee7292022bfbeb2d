// Package oidctest runs a real OpenID Provider for tests: zitadel/oidc's
// op package (discovery, JWKS, the authorization code flow with PKCE,
// signed ID tokens, userinfo) over an in-memory store of one confidential
// client and a few users, served on 127.0.0.1. A test plays the user's
// browser with LogIn, and can make the provider misbehave (Fault) to
// prove that a relying party refuses what it must: an expired or forged
// ID token, a wrong audience, a wrong nonce.
package oidctest
