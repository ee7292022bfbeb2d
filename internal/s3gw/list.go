package s3gw

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tuskdata/tusk/internal/fileset"
)

type listBucketResult struct {
	XMLName               xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string
	Prefix                string
	Marker                *string `xml:",omitempty"` // version 1
	NextMarker            string  `xml:",omitempty"`
	StartAfter            string  `xml:",omitempty"`
	ContinuationToken     string  `xml:",omitempty"`
	NextContinuationToken string  `xml:",omitempty"`
	KeyCount              *int    `xml:",omitempty"` // version 2
	MaxKeys               int
	Delimiter             string `xml:",omitempty"`
	EncodingType          string `xml:",omitempty"`
	IsTruncated           bool
	Contents              []objectXML
	CommonPrefixes        []commonPrefix
}

type objectXML struct {
	Key          string
	LastModified string
	ETag         string
	Size         int64
	StorageClass string
}

type commonPrefix struct {
	Prefix string
}

// maxKeys is the most keys a listing answers, as on S3.
const maxKeys = 1000

// listParams are the parameters of ListObjects (version 1) and
// ListObjectsV2.
type listParams struct {
	v2        bool
	prefix    string
	delimiter string
	max       int
	after     string // list keys and common prefixes after this one
	urlEncode bool
}

func parseList(q map[string][]string) (listParams, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	p := listParams{v2: get("list-type") == "2", prefix: get("prefix"), delimiter: get("delimiter"), max: maxKeys}
	if lt := get("list-type"); lt != "" && lt != "2" {
		return p, invalidArgument("list-type %q: want 2, or none for version 1", lt)
	}
	if m := get("max-keys"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return p, invalidArgument("max-keys %q: want a number from 0", m)
		}
		p.max = min(n, maxKeys)
	}
	switch e := get("encoding-type"); e {
	case "":
	case "url":
		p.urlEncode = true
	default:
		return p, invalidArgument("encoding-type %q: want url", e)
	}
	if !p.v2 {
		p.after = get("marker")
		return p, nil
	}
	p.after = get("start-after")
	if tok := get("continuation-token"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return p, invalidArgument("continuation-token %q is not one this gateway gave", tok)
		}
		p.after = string(b)
	}
	return p, nil
}

// errListEnd stops a scan once a page of a listing is full, or past the
// keys with the listing's prefix.
var errListEnd = errors.New("end of the listing")

// list answers ListObjects and ListObjectsV2.
func (q *request) list(b bucket) error {
	values := q.r.URL.Query()
	p, err := parseList(values)
	if err != nil {
		return err
	}
	enc := func(s string) string { return s }
	if p.urlEncode {
		enc = s3Escape
	}
	res := listBucketResult{Name: b.name, Prefix: enc(p.prefix), MaxKeys: p.max, Delimiter: enc(p.delimiter),
		Contents: []objectXML{}, CommonPrefixes: []commonPrefix{}}
	if p.urlEncode {
		res.EncodingType = "url"
	}
	if p.v2 {
		res.StartAfter = enc(values.Get("start-after"))
		res.ContinuationToken = values.Get("continuation-token")
	} else {
		m := enc(p.after)
		res.Marker = &m
	}
	last := ""
	if b.head != "" && p.max > 0 {
		// The scan starts at the first key after the marker, or at the
		// prefix, and skips the keys that a common prefix already stands
		// for, so a page costs about what it shows, wherever it starts.
		from := "/" + p.prefix
		if p.after >= p.prefix {
			from = "/" + p.after + "\x00"
		}
		err = q.g.fs.ScanFiles(q.ctx(), b.ref("/"), from, func(f fileset.File) (string, error) {
			key := f.Path[1:]
			if !strings.HasPrefix(key, p.prefix) {
				return "", errListEnd // keys with the prefix are contiguous
			}
			entry, isPrefix := key, false
			if p.delimiter != "" {
				if i := strings.Index(key[len(p.prefix):], p.delimiter); i >= 0 {
					entry, isPrefix = key[:len(p.prefix)+i+len(p.delimiter)], true
				}
			}
			if entry <= p.after || entry == last {
				return past(entry, isPrefix), nil
			}
			if len(res.Contents)+len(res.CommonPrefixes) == p.max {
				res.IsTruncated = true
				return "", errListEnd
			}
			last = entry
			if isPrefix {
				res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(entry)})
				return past(entry, true), nil
			}
			res.Contents = append(res.Contents, objectXML{Key: enc(key), LastModified: s3Time(b.time), ETag: etag(f.Hash),
				Size: f.Size, StorageClass: "STANDARD"})
			return "", nil
		})
		if err != nil && !errors.Is(err, errListEnd) {
			return fmt.Errorf("list %s: %w", b.name, err)
		}
	}
	if res.IsTruncated {
		if p.v2 {
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
		} else if p.delimiter != "" {
			res.NextMarker = enc(last)
		}
	}
	if p.v2 {
		n := len(res.Contents) + len(res.CommonPrefixes)
		res.KeyCount = &n
	}
	writeXML(q.w, res)
	return nil
}

// past returns the path to scan on from after the keys that a common
// prefix stands for: the first path after every key that starts with
// it. "" (go on with the next key) for a key, or a prefix that ends in
// the byte 0xff.
func past(prefix string, isPrefix bool) string {
	n := len(prefix)
	if !isPrefix || prefix[n-1] == 0xff {
		return ""
	}
	return "/" + prefix[:n-1] + string([]byte{prefix[n-1] + 1})
}

// etag makes a content hash an ETag: quoted, and marked as no MD5 of the
// content with the suffix "-1", as S3 marks the ETags of multipart
// uploads, so that clients that compare an ETag without a '-' to the MD5
// of what they sent (s3cmd) do not take it for a damaged upload.
func etag(hash string) string { return `"` + hash + `-1"` }

// s3Escape URL-encodes s as S3 does for encoding-type=url: every byte but
// the unreserved ones and '/'.
func s3Escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
