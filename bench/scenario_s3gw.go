package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

var s3gwScenario = scenario{
	name:  "s3gw",
	title: "the S3 gateway against an S3 server",
	note: "The AWS CLI copying into and out of Tusk's S3 gateway, against the same commands on the S3 server of -s3 " +
		"(default $TUSK_TEST_S3; versitygw over a directory of the same disk in CI). Data: 10k × scale files of " +
		"1–10 KiB (seeded sizes and random content, 1000 per directory) and one file of seeded random bytes " +
		"(1 GiB × scale), already in the page cache. Tusk: a `tusk up` process (local store) with `--s3-addr`, " +
		"authentication on (the admin's token as both keys), bucket master.gw. Each round runs `aws s3 cp --recursive` " +
		"of the tree in, then out to a fresh directory, and `aws s3 cp` of the file in and out, first on the S3 server " +
		"then on the gateway (default settings: multipart above 8 MiB, 10 requests at once; `--only-show-errors`), " +
		"each into a prefix of its own. Every figure is the median over -rounds; files/s for the tree, MB/s (10⁶ B/s) " +
		"for the file; the ratio is the gateway's rate over the S3 server's.",
	run: runS3gw,
}

func runS3gw(ctx context.Context, b *bench) ([]row, error) {
	if b.cfg.s3 == "" {
		return nil, errors.New("needs an S3 server to compare with: give -s3 URL or set TUSK_TEST_S3")
	}
	aws := b.tools.aws
	if aws == "" {
		return nil, errors.New("needs the AWS CLI (apt-get install -y awscli)")
	}
	bucket, err := newS3Run(b.cfg.s3, fmt.Sprintf("bench-s3gw-%d", os.Getpid()))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := bucket.clear(context.WithoutCancel(ctx)); err != nil {
			b.log.Warn("cleanup", "err", err)
		}
	}()
	dir, err := b.scratch("s3gw")
	if err != nil {
		return nil, err
	}
	n, files := b.bytes(1<<30), b.count(10_000)
	src, tree := filepath.Join(dir, "source.bin"), filepath.Join(dir, "tree")
	if err := writeRandomFile(src, n, 3); err != nil {
		return nil, err
	}
	total, err := writeSmallFiles(tree, files, 1<<10, 10<<10, 4)
	if err != nil {
		return nil, err
	}
	if err := syncAll(ctx); err != nil {
		return nil, err
	}
	gw, err := startGateway(ctx, b, filepath.Join(dir, "up"))
	if err != nil {
		return nil, err
	}
	defer gw.up.kill()
	// The four transfers, each timed on the S3 server (0) and the gateway (1).
	var treeIn, treeOut, fileIn, fileOut [2]samples
	for round := 1; round <= b.cfg.rounds; round++ {
		out := roundDir(dir, round)
		remote := [2]string{bucket.awsURL(round, "s3gw"), fmt.Sprintf("s3://master.gw/%d", round)}
		copyOn := [2]func(src, dst string, recursive bool) (time.Duration, error){
			func(src, dst string, recursive bool) (time.Duration, error) {
				return bucket.awsCopy(ctx, aws, src, dst, recursive)
			},
			gw.copy(ctx, aws),
		}
		for i, name := range []string{"s3", "gateway"} {
			b.log.Info("aws s3 cp", "to", name, "round", round)
			treeIn[i].add(copyOn[i](tree, remote[i]+"/tree/", true))
			treeOut[i].add(copyOn[i](remote[i]+"/tree/", out(name+"-tree"), true))
			fileIn[i].add(copyOn[i](src, remote[i]+"/source.bin", false))
			fileOut[i].add(copyOn[i](remote[i]+"/source.bin", out(name+"-source.bin"), false))
		}
	}
	treeRate := func(d time.Duration) float64 { return perSec(files, d) }
	fileRate := func(d time.Duration) float64 { return mbps(n, d) }
	what := fmt.Sprintf("%d files, %s", files, size(total))
	return []row{
		gatewayRow(b, "aws s3 cp --recursive into the S3 gateway ("+what+")", &treeIn, treeRate, "files/s"),
		gatewayRow(b, "aws s3 cp --recursive out of the S3 gateway ("+what+")", &treeOut, treeRate, "files/s"),
		gatewayRow(b, "aws s3 cp into the S3 gateway ("+size(n)+")", &fileIn, fileRate, "MB/s"),
		gatewayRow(b, "aws s3 cp out of the S3 gateway ("+size(n)+")", &fileOut, fileRate, "MB/s"),
	}, nil
}

// gatewayRow compares the gateway's rate (s[1]) with the S3 server's
// (s[0]), against a target of 0.8 times the latter.
func gatewayRow(b *bench, scenario string, s *[2]samples, rate func(time.Duration) float64, unit string) row {
	r := row{scenario: scenario, target: "≥ 0.8× the S3 server", result: "n/a", ratio: "-",
		tusk: figure(b.tools.aws, &s[1], rate, unit), baseline: "S3 server " + figure(b.tools.aws, &s[0], rate, unit)}
	switch {
	case s[1].err != nil || s[0].err != nil:
		r.result = "error"
	case len(s[1].times) > 0 && len(s[0].times) > 0:
		tusk, base := rate(s[1].median()), rate(s[0].median())
		r.ratio = ratio(tusk, base) + " of the S3 server"
		r.result = verdict(tusk >= 0.8*base)
	}
	return r
}

// gateway is a tusk up process serving the S3 gateway, with a repo gw
// whose master branch is the bucket master.gw.
type gateway struct {
	up       *upServer
	endpoint string
	env      []string // of an aws command that uses it
}

func startGateway(ctx context.Context, b *bench, dir string) (*gateway, error) {
	bin, err := b.workerBinary(ctx)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port, for tusk up to take
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	up, err := startUp(ctx, bin, dir, "--s3-addr", addr)
	if err != nil {
		return nil, err
	}
	if _, err := up.client.CreateRepo(ctx, "gw", ""); err != nil {
		up.kill()
		return nil, err
	}
	if _, err := up.client.CreateBranch(ctx, "gw", "master", "", nil, nil); err != nil {
		up.kill()
		return nil, err
	}
	config := filepath.Join(dir, "aws-config")
	if err := os.WriteFile(config, []byte("[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n  signature_version = s3v4\n"), 0o600); err != nil {
		up.kill()
		return nil, err
	}
	return &gateway{up: up, endpoint: "http://" + addr, env: []string{"AWS_CONFIG_FILE=" + config,
		"AWS_ACCESS_KEY_ID=" + up.token, "AWS_SECRET_ACCESS_KEY=" + up.token}}, nil
}

// copy returns a function that runs `aws s3 cp` on the gateway.
func (g *gateway) copy(ctx context.Context, aws string) func(src, dst string, recursive bool) (time.Duration, error) {
	return func(src, dst string, recursive bool) (time.Duration, error) {
		args := []string{"s3", "cp", src, dst, "--only-show-errors", "--endpoint-url", g.endpoint}
		if recursive {
			args = append(args, "--recursive")
		}
		return command(ctx, "", g.env, aws, args...)
	}
}
