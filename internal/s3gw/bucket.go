package s3gw

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/grant"
	"github.com/tuskdata/tusk/internal/tusk"
)

// A bucket is a branch or a commit of a repo, resolved for one request:
// head is the commit it reads (empty for a branch without commits).
type bucket struct {
	name   string
	repo   string
	branch string // empty when the bucket names a commit
	head   string
	time   time.Time // when head finished (or started, if open)
}

// defaultProject is the one project there is, which a three-part bucket
// name may give.
const defaultProject = "default"

// parseBucket splits a bucket name as Pachyderm's gateway does: "repo"
// (its master branch), "branch.repo" or "commit.repo", each optionally
// followed by ".project".
func parseBucket(name string) (repo, branch, commit string, err error) {
	parts := strings.Split(name, ".")
	if len(parts) == 3 {
		if parts[2] != defaultProject {
			return "", "", "", errorf("NoSuchBucket", http.StatusNotFound, "bucket %q names project %q; there is only the project %q", name, parts[2], defaultProject)
		}
		parts = parts[:2]
	}
	switch len(parts) {
	case 1:
		repo, branch = parts[0], "master"
	case 2:
		repo = parts[1]
		if tusk.IsCommitID(parts[0]) {
			commit = parts[0]
		} else {
			branch = parts[0]
		}
	default:
		return "", "", "", errorf("InvalidBucketName", http.StatusBadRequest, "bucket %q: want repo, branch.repo or commit.repo", name)
	}
	if err := tusk.ValidateRepoName(repo); err != nil {
		return "", "", "", errorf("InvalidBucketName", http.StatusBadRequest, "bucket %q: %v", name, err)
	}
	if branch != "" {
		if err := tusk.ValidateBranchName(branch); err != nil {
			return "", "", "", errorf("InvalidBucketName", http.StatusBadRequest, "bucket %q: %v", name, err)
		}
	}
	return repo, branch, commit, nil
}

// bucket resolves the bucket name for a caller who needs level on its
// repo.
func (q *request) bucket(name string, level grant.Level) (bucket, error) {
	repo, branch, commit, err := parseBucket(name)
	if err != nil {
		return bucket{}, err
	}
	if !q.grants.Can(repo, level) {
		return bucket{}, accessDenied("%s needs %s on repo %q", q.grants.Subject, grant.RoleOf(level), repo)
	}
	b := bucket{name: name, repo: repo, branch: branch, head: commit}
	if branch != "" {
		br, err := q.g.fs.InspectBranch(q.ctx(), repo, branch)
		if err != nil {
			return bucket{}, bucketError(name, err)
		}
		b.head = br.Head
	}
	if b.head == "" {
		return b, nil
	}
	c, err := q.g.fs.InspectCommit(q.ctx(), tusk.Ref{Repo: repo, ID: b.head})
	if err != nil {
		return bucket{}, bucketError(name, err)
	}
	b.time = c.Started
	if c.Finished != nil {
		b.time = *c.Finished
	}
	return b, nil
}

// bucketError maps a repo, branch or commit that is not there to
// NoSuchBucket.
func bucketError(name string, err error) error {
	if errors.Is(err, tusk.ErrNotFound) {
		return noSuchBucket(name, err)
	}
	return err
}

// ref is the reference of path p in the bucket's head.
func (b bucket) ref(p string) tusk.Ref {
	return tusk.Ref{Repo: b.repo, ID: b.head, Path: p, HasPath: true}
}

type listAllMyBucketsResult struct {
	XMLName xml.Name    `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
	Owner   owner       `xml:"Owner"`
	Buckets []bucketXML `xml:"Buckets>Bucket"`
}

type owner struct {
	ID          string
	DisplayName string
}

type bucketXML struct {
	Name         string
	CreationDate string
}

// s3Time formats a time as S3 does in XML documents.
func s3Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// listBuckets lists every branch of every repo the caller may read, as
// branch.repo.
func (q *request) listBuckets() error {
	repos, err := q.g.fs.ListRepos(q.ctx())
	if err != nil {
		return err
	}
	res := listAllMyBucketsResult{Owner: owner{ID: q.grants.Subject, DisplayName: q.grants.Subject}, Buckets: []bucketXML{}}
	for _, repo := range repos {
		if !q.grants.Can(repo.Name, grant.Read) {
			continue
		}
		branches, err := q.g.fs.ListBranches(q.ctx(), repo.Name)
		if err != nil {
			if errors.Is(err, tusk.ErrNotFound) {
				continue // deleted meanwhile
			}
			return err
		}
		for _, br := range branches {
			res.Buckets = append(res.Buckets, bucketXML{Name: br.Name + "." + repo.Name, CreationDate: s3Time(br.Created)})
		}
	}
	sort.Slice(res.Buckets, func(i, j int) bool { return res.Buckets[i].Name < res.Buckets[j].Name })
	writeXML(q.w, res)
	return nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
	Region  string   `xml:",chardata"`
}

// location answers GetBucketLocation: the region is always us-east-1,
// which S3 writes as empty.
func (q *request) location(name string) error {
	if _, err := q.bucket(name, grant.Read); err != nil {
		return err
	}
	writeXML(q.w, locationConstraint{})
	return nil
}

// createBucket answers CreateBucket: a bucket of a branch that does not
// exist yet creates the branch, without commits, in a repo that does; an
// existing bucket is left as it is, as S3 does for its owner. Repos are
// created with tusk create repo.
func (q *request) createBucket(name string) error {
	repo, branch, _, err := parseBucket(name)
	if err != nil {
		return err
	}
	if _, err := q.bucket(name, grant.Read); err == nil {
		q.w.WriteHeader(http.StatusOK)
		return nil
	} else if !errors.Is(err, errNoSuchBucket) {
		return err
	}
	if branch == "" {
		return accessDenied("bucket %q names a commit, which a client cannot create", name)
	}
	if !q.grants.Can(repo, grant.Write) {
		return accessDenied("%s needs %s on repo %q to create a branch", q.grants.Subject, grant.RoleOf(grant.Write), repo)
	}
	if _, err := q.g.fs.InspectRepo(q.ctx(), repo); err != nil {
		if errors.Is(err, tusk.ErrNotFound) {
			return accessDenied("repo %q does not exist, and the gateway creates only branches; create it with: tusk create repo %s", repo, repo)
		}
		return err
	}
	if _, err := q.g.fs.CreateBranch(q.ctx(), repo, branch, "", nil, nil); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	q.w.Header().Set("Location", "/"+name)
	q.w.WriteHeader(http.StatusOK)
	return nil
}
