package s3gw

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Signature Version 4, as S3 clients sign requests: in the Authorization
// header, or in the query string of a presigned URL. The access key and
// the secret key are both a Tusk token, as Pachyderm's gateway has them:
// the gateway authenticates the access key as a token and checks the
// signature with it as the secret.

const (
	sigAlgorithm      = "AWS4-HMAC-SHA256"
	unsignedPayload   = "UNSIGNED-PAYLOAD"
	streamingPayload  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	emptySHA256       = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	amzDateFormat     = "20060102T150405Z"
	maxClockSkew      = 15 * time.Minute
	maxPresignExpires = 7 * 24 * time.Hour
)

// A signature is a request's checked signature: what the body's chunks,
// or its hash, must then match.
type signature struct {
	key     []byte // the signing key of the request's scope
	date    string // X-Amz-Date
	scope   string // DATE/REGION/s3/aws4_request
	seed    string // the request's signature, which the first chunk's chains from
	payload string // x-amz-content-sha256, or UNSIGNED-PAYLOAD
}

// signed is what a signed request gives: its access key, and the
// signature fields to check.
type signed struct {
	access, scopeDate, region, service string
	headers                            []string
	sig, date, payload                 string
	presigned                          bool
	expires                            time.Duration
}

func sigError(format string, args ...any) *apiError {
	return errorf("SignatureDoesNotMatch", http.StatusForbidden, format, args...)
}

func authError(format string, args ...any) *apiError {
	return errorf("AuthorizationHeaderMalformed", http.StatusBadRequest, format, args...)
}

// parseSigned reads the signature of r, from its Authorization header or
// its query string; ok is false when r is not signed at all.
func parseSigned(r *http.Request) (s signed, ok bool, err error) {
	q := r.URL.Query()
	var cred, headers string
	if h := r.Header.Get("Authorization"); h != "" {
		rest, found := strings.CutPrefix(h, sigAlgorithm+" ")
		if !found {
			return s, true, authError("the Authorization header is not %s; sign requests with Signature Version 4", sigAlgorithm)
		}
		for f := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			switch k {
			case "Credential":
				cred = v
			case "SignedHeaders":
				headers = v
			case "Signature":
				s.sig = v
			}
		}
		s.date = r.Header.Get("X-Amz-Date")
		if s.date == "" {
			if d, err := http.ParseTime(r.Header.Get("Date")); err == nil {
				s.date = d.UTC().Format(amzDateFormat)
			}
		}
		s.payload = r.Header.Get("X-Amz-Content-Sha256")
		if s.payload == "" {
			return s, true, authError("the request has no x-amz-content-sha256 header, which S3's Signature Version 4 needs")
		}
	} else if q.Get("X-Amz-Algorithm") != "" {
		if q.Get("X-Amz-Algorithm") != sigAlgorithm {
			return s, true, authError("X-Amz-Algorithm %q: want %s", q.Get("X-Amz-Algorithm"), sigAlgorithm)
		}
		s.presigned = true
		cred, headers, s.sig, s.date = q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
		s.payload = unsignedPayload
		secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignExpires {
			return s, true, authError("X-Amz-Expires %q: want 1 to %d seconds", q.Get("X-Amz-Expires"), int(maxPresignExpires.Seconds()))
		}
		s.expires = time.Duration(secs) * time.Second
	} else if q.Has("AWSAccessKeyId") {
		return s, true, authError("the URL is presigned with Signature Version 2, which the gateway does not take; presign with Signature Version 4 (for awscli: aws configure set default.s3.signature_version s3v4)")
	} else {
		return s, false, nil
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return s, true, authError("credential %q: want ACCESS_KEY/DATE/REGION/s3/aws4_request", cred)
	}
	s.access, s.scopeDate, s.region, s.service = parts[0], parts[1], parts[2], parts[3]
	if s.service != "s3" {
		return s, true, authError("credential %q is for service %q, not s3", cred, s.service)
	}
	if headers == "" || s.sig == "" || s.date == "" {
		return s, true, authError("the signature lacks its signed headers, signature or date")
	}
	s.headers = strings.Split(headers, ";")
	if !slices.Contains(s.headers, "host") {
		return s, true, authError("the signed headers must include host")
	}
	return s, true, nil
}

// verify checks the signature s of r with secret, at time now.
func (s signed) verify(r *http.Request, secret string, now time.Time) (*signature, error) {
	t, err := time.Parse(amzDateFormat, s.date)
	if err != nil {
		return nil, authError("X-Amz-Date %q: want %s", s.date, amzDateFormat)
	}
	if !strings.HasPrefix(s.date, s.scopeDate) {
		return nil, authError("the credential's date %s is not the request's %s", s.scopeDate, s.date)
	}
	if s.presigned {
		if now.After(t.Add(s.expires)) {
			return nil, errorf("AccessDenied", http.StatusForbidden, "the presigned URL expired at %s", t.Add(s.expires).UTC().Format(time.RFC3339))
		}
		if t.After(now.Add(maxClockSkew)) {
			return nil, errorf("AccessDenied", http.StatusForbidden, "the presigned URL is dated %s, in the future", t.UTC().Format(time.RFC3339))
		}
	} else if d := now.Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return nil, errorf("RequestTimeTooSkewed", http.StatusForbidden, "the request is dated %s, more than %v from the server's time %s", t.UTC().Format(time.RFC3339), maxClockSkew, now.UTC().Format(time.RFC3339))
	}
	scope := s.scopeDate + "/" + s.region + "/" + s.service + "/aws4_request"
	key := hmacSum([]byte("AWS4"+secret), s.scopeDate)
	key = hmacSum(key, s.region)
	key = hmacSum(key, s.service)
	key = hmacSum(key, "aws4_request")
	canonical := strings.Join([]string{r.Method, s3Escape(r.URL.Path), canonicalQuery(r.URL.RawQuery, s.presigned),
		canonicalHeaders(r, s.headers), strings.Join(s.headers, ";"), s.payload}, "\n")
	toSign := sigAlgorithm + "\n" + s.date + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	want := hex.EncodeToString(hmacSum(key, toSign))
	if subtle.ConstantTimeCompare([]byte(want), []byte(s.sig)) != 1 {
		return nil, sigError("the signature does not match the request; the secret key must be the same Tusk token as the access key")
	}
	return &signature{key: key, date: s.date, scope: scope, seed: s.sig, payload: s.payload}, nil
}

// canonicalQuery is the query string of a canonical request: every
// parameter but the signature, sorted, each name and value encoded once.
func canonicalQuery(raw string, presigned bool) string {
	var pairs []string
	for kv := range strings.SplitSeq(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, awsEscape(k)+"="+awsEscape(v))
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}

// awsEscape encodes s as Signature Version 4 does in a query: every byte
// but the unreserved ones.
func awsEscape(s string) string {
	return strings.ReplaceAll(s3Escape(s), "/", "%2F")
}

// canonicalHeaders lists the signed headers of r, each "name:value\n",
// values trimmed and their runs of spaces made one.
func canonicalHeaders(r *http.Request, names []string) string {
	var b strings.Builder
	for _, name := range names {
		var values []string
		switch name {
		case "host":
			values = []string{r.Host}
		case "content-length":
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		default:
			values = r.Header.Values(name)
		}
		for i, v := range values {
			values[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(name + ":" + strings.Join(values, ",") + "\n")
	}
	return b.String()
}

func hmacSum(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// chunkVerifier checks the signatures of an aws-chunked body's chunks, each
// chained from the one before, the first from the request's.
func (s *signature) chunkVerifier() func(sig string, data []byte) error {
	prev := s.seed
	return func(sig string, data []byte) error {
		toSign := "AWS4-HMAC-SHA256-PAYLOAD\n" + s.date + "\n" + s.scope + "\n" + prev + "\n" + emptySHA256 + "\n" + sha256Hex(data)
		want := hex.EncodeToString(hmacSum(s.key, toSign))
		if subtle.ConstantTimeCompare([]byte(want), []byte(sig)) != 1 {
			return sigError("the signature of a chunk of %d bytes of the body does not match", len(data))
		}
		prev = sig
		return nil
	}
}

// hashedReader passes a body through and, at its end, fails unless its
// SHA-256 is want: the body then counts as not received.
type hashedReader struct {
	r    io.Reader
	h    hash.Hash
	want string
}

func (h *hashedReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF && hex.EncodeToString(h.h.Sum(nil)) != h.want {
		return n, errorf("XAmzContentSHA256Mismatch", http.StatusBadRequest, "the body's SHA-256 is not the x-amz-content-sha256 it was sent with")
	}
	return n, err
}
