package auth

import (
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/tusk"
)

// CodeTTL is how long a login code stays good if unused.
const CodeTTL = 24 * time.Hour

// Codes are one-time login codes, as in the link `tusk up` prints for
// the console: each opens one session as its subject, once. They live in
// the memory of the server that made them.
type Codes struct {
	mu    sync.Mutex
	now   func() time.Time
	codes map[string]code // by hash
}

type code struct {
	subject string
	expires time.Time
}

// NewCodes returns an empty set of codes.
func NewCodes() *Codes { return &Codes{now: time.Now, codes: map[string]code{}} }

// New returns a fresh code for subject.
func (c *Codes) New(subject string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for h, cd := range c.codes {
		if now.After(cd.expires) {
			delete(c.codes, h)
		}
	}
	tok := newToken()
	c.codes[hashToken(tok)] = code{subject: subject, expires: now.Add(CodeTTL)}
	return tok
}

// Redeem uses up a code and returns its subject.
func (c *Codes) Redeem(tok string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := hashToken(tok)
	cd, ok := c.codes[h]
	delete(c.codes, h)
	if !ok || c.now().After(cd.expires) {
		return "", tusk.Errorf(tusk.KindUnauthenticated, "this login link was used already, or has expired").
			WithHint("get a new one with: tusk auth login --console")
	}
	return cd.subject, nil
}
