package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
	"github.com/tuskdata/tusk/internal/blob/s3"
)

var s3Scenario = scenario{
	name:  "s3",
	title: "storage on S3 + PostgreSQL",
	note: "The put and smallfiles scenarios with the server's objects on S3 and its metadata on PostgreSQL, against " +
		"the AWS CLI writing the same data to the same bucket. Data: one file of seeded random bytes (1 GiB × scale), " +
		"and 100k × scale files of 1–10 KiB (seeded sizes and random content, 1000 per directory), both already in " +
		"the page cache. Tusk: a server process (as in the put scenario) with `Storage` on the bucket of -s3 (default " +
		"$TUSK_TEST_S3) under a prefix of its own and `Metadata` on a fresh PostgreSQL database (-postgres, default " +
		"$TUSK_TEST_POSTGRES), both made for each put and dropped afterwards; the file is put as one Upload, one " +
		"PutFile, one Commit, the tree as one Upload with a PutFile per file and one Commit. Against `aws s3 cp` of " +
		"the file and `aws s3 cp --recursive` of the tree (default settings: multipart above 8 MiB, 10 requests at " +
		"once; `--only-show-errors`) to another prefix of the same bucket; the AWS CLI's version is in the Baselines " +
		"line and in the rows. The four alternate for -rounds rounds and each figure is the median; MB/s (10⁶ B/s) " +
		"for the file, files/s for the tree. Every prefix written is beneath bench-PID under the -s3 prefix, deleted " +
		"when the scenario ends.",
	run: runS3,
}

func runS3(ctx context.Context, b *bench) ([]row, error) {
	bucket, done, err := startS3Run(ctx, b)
	if err != nil {
		return nil, err
	}
	defer done()
	dir, err := b.scratch("s3")
	if err != nil {
		return nil, err
	}
	n, files := b.bytes(1<<30), b.count(100_000)
	src, tree := filepath.Join(dir, "source.bin"), filepath.Join(dir, "tree")
	b.log.Info("generating", "file", src, "size", size(n), "files", files, "dir", tree)
	if err := writeRandomFile(src, n, 1); err != nil {
		return nil, err
	}
	total, err := writeSmallFiles(tree, files, 1<<10, 10<<10, 2)
	if err != nil {
		return nil, err
	}
	if err := syncAll(ctx); err != nil {
		return nil, err
	}
	if err := readAll(src); err != nil {
		return nil, err
	}
	aws := b.tools.aws
	var awsPut, tuskPut, awsTree, tuskTree samples
	for round := 1; round <= b.cfg.rounds; round++ {
		out := roundDir(dir, round)
		if aws != "" && awsPut.ok() {
			b.log.Info("aws s3 cp", "round", round)
			awsPut.add(bucket.awsCopy(ctx, aws, src, bucket.awsURL(round, "put")+"/source.bin", false))
		}
		b.log.Info("tusk put on S3", "round", round)
		tuskPut.addPhases(onS3(ctx, b, bucket, round, "put", func(st stores) (phases, error) {
			return putOnce(ctx, out("put"), st, src)
		}))
		if aws != "" && awsTree.ok() {
			b.log.Info("aws s3 cp --recursive", "round", round)
			awsTree.add(bucket.awsCopy(ctx, aws, tree, bucket.awsURL(round, "tree")+"/", true))
		}
		b.log.Info("tusk put tree on S3", "round", round)
		tuskTree.addPhases(onS3(ctx, b, bucket, round, "tree", func(st stores) (phases, error) {
			return putTreeOnce(ctx, out("tree"), st, tree, files)
		}))
	}
	putRate := func(d time.Duration) float64 { return mbps(n, d) }
	treeRate := func(d time.Duration) float64 { return perSec(files, d) }
	return []row{
		s3Row(b.tools, fmt.Sprintf("put one file to S3 + PostgreSQL (%s)", size(n)), "≥ 1× aws s3 cp", 1,
			&tuskPut, &awsPut, putRate, "MB/s"),
		s3Row(b.tools, fmt.Sprintf("small files to S3 + PostgreSQL, one commit (%d files, %s)", files, size(total)),
			"≥ 20× aws s3 cp --recursive", 20, &tuskTree, &awsTree, treeRate, "files/s"),
	}, nil
}

// startS3Run checks that the scenario has S3 and PostgreSQL and starts a
// run under a prefix of its own in the bucket; done deletes what the run
// wrote.
func startS3Run(ctx context.Context, b *bench) (run *s3Run, done func(), err error) {
	if b.cfg.s3 == "" {
		return nil, nil, errors.New("needs S3: give -s3 URL or set TUSK_TEST_S3")
	}
	if b.cfg.postgres == "" {
		return nil, nil, errors.New("needs PostgreSQL: give -postgres DSN or set TUSK_TEST_POSTGRES")
	}
	bucket, err := newS3Run(b.cfg.s3, fmt.Sprintf("bench-%d", os.Getpid()))
	if err != nil {
		return nil, nil, err
	}
	return bucket, func() {
		b.log.Info("deleting what the scenario wrote to S3", "prefix", bucket.cfg.Prefix)
		if err := bucket.clear(context.WithoutCancel(ctx)); err != nil {
			b.log.Warn("cleanup", "err", err)
		}
	}, nil
}

// s3Row compares Tusk's rate with the AWS CLI's, against a target of want
// times the AWS CLI's rate.
func s3Row(t tools, scenario, target string, want float64, tusk, aws *samples, rate func(time.Duration) float64, unit string) row {
	r := row{scenario: scenario, target: target, result: "n/a", ratio: "-"}
	r.baseline = strings.Fields(t.awsVersion + " aws")[0] + " " + figure(t.aws, aws, rate, unit)
	if t.aws == "" {
		r.baseline = "aws s3 cp " + notInstalled + " (apt-get install -y awscli)"
	}
	if tusk.err != nil {
		r.tusk, r.result = "error: "+tusk.err.Error(), "error"
		return r
	}
	tuskRate := rate(tusk.median())
	r.tusk = fmt.Sprintf("%.0f %s (%s%s)", tuskRate, unit, tusk.medianPhases(), semi(tusk.spread(rate, unit)))
	if len(aws.times) > 0 {
		baseRate := rate(aws.median())
		r.ratio = ratio(tuskRate, baseRate) + " of aws"
		r.result = verdict(tuskRate >= want*baseRate)
	}
	return r
}

// onS3 runs put on a server whose objects are under a prefix of bucket of
// its own and whose metadata is in a fresh PostgreSQL database, dropped
// afterwards.
func onS3(ctx context.Context, b *bench, bucket *s3Run, round int, what string, put func(stores) (phases, error)) (phases, error) {
	dsn, drop, err := freshDatabase(ctx, b.cfg.postgres, fmt.Sprintf("tusk_bench_s3_%d_%d_%s", os.Getpid(), round, what))
	if err != nil {
		return phases{}, err
	}
	defer drop()
	return put(stores{storage: bucket.tuskURL(round, what), metadata: dsn})
}

// s3Run is where one run of the scenario writes: every contender of
// every round under a prefix of its own beneath the run's prefix.
type s3Run struct {
	raw *url.URL  // the run's prefix as an S3 URL
	cfg s3.Config // the same, parsed
}

// newS3Run parses raw, an S3 URL, and puts the run under name beneath
// its prefix.
func newS3Run(raw, name string) (*s3Run, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" {
		return nil, fmt.Errorf("-s3 %q: want %s", raw, s3.URLForm)
	}
	u.Path = path.Join("/", u.Path, name)
	cfg, err := s3.ParseURL(u.String(), os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("-s3: %w", err)
	}
	return &s3Run{raw: u, cfg: cfg}, nil
}

// tuskURL is the storage URL of Tusk's server for what in round.
func (r *s3Run) tuskURL(round int, what string) string {
	u := *r.raw
	u.Path = path.Join(u.Path, fmt.Sprintf("%d-%s-tusk", round, what))
	return u.String()
}

// awsURL is where the AWS CLI copies what in round, as it names it.
func (r *s3Run) awsURL(round int, what string) string {
	return fmt.Sprintf("s3://%s/%s/%d-%s-aws", r.cfg.Bucket, r.cfg.Prefix, round, what)
}

// awsCopy runs `aws s3 cp` (with --recursive when recursive is set) of
// src to dst on the run's server and returns its wall time.
func (r *s3Run) awsCopy(ctx context.Context, aws, src, dst string, recursive bool) (time.Duration, error) {
	args := []string{"s3", "cp", src, dst, "--only-show-errors", "--region", r.cfg.Region}
	if r.raw.Query().Get("endpoint") != "" {
		scheme := "https://"
		if r.cfg.Insecure {
			scheme = "http://"
		}
		args = append(args, "--endpoint-url", scheme+r.cfg.Endpoint)
	}
	if recursive {
		args = append(args, "--recursive")
	}
	return command(ctx, "", nil, aws, args...)
}

// clear deletes every object under the run's prefix.
func (r *s3Run) clear(ctx context.Context) error {
	st, err := s3.New(ctx, r.cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	var keys []string
	if err := st.List(ctx, "", func(i blob.Info) error {
		keys = append(keys, i.Key)
		return nil
	}); err != nil {
		return err
	}
	const deleters = 16
	todo := make(chan string)
	errs := make(chan error, deleters)
	var wg sync.WaitGroup
	for range deleters {
		wg.Go(func() {
			var first error
			for k := range todo {
				if err := st.Delete(ctx, k); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		})
	}
	for _, k := range keys {
		todo <- k
	}
	close(todo)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}
