package cli

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/tusk"
)

var (
	jobID      = "5a1e0c9b8d7f4e3a2b1c0d9e8f7a6b5c"
	jobStarted = testNow.Add(-3 * time.Minute)
	jobEnded   = jobStarted.Add(95 * time.Second)
	datumStart = testNow.Add(-150 * time.Second)
	datumEnd   = datumStart.Add(2 * time.Second)

	edgesSpec   = json.RawMessage(`{"pipeline":{"name":"edges"},"description":"find edges","transform":{"image":"ubuntu:20.04","cmd":["python3","/edges.py"]},"input":{"pfs":{"name":"images","repo":"images","branch":"master","glob":"/*"}},"output_branch":"master","datum_tries":3,"salt":"6f1d"}`)
	montageSpec = json.RawMessage(`{"pipeline":{"name":"montage"},"transform":{"cmd":["sh","-c","montage *.png > /pfs/out/all.png"]},"input":{"cross":[{"pfs":{"name":"edges","repo":"edges","branch":"master","glob":"/"}},{"pfs":{"name":"images","repo":"images","branch":"master","glob":"/"}}]},"output_branch":"master","salt":"77aa"}`)

	testPipelines = []tusk.PipelineInfo{
		{Name: "montage", Version: 1, State: tusk.PipelinePaused, Stopped: true, Created: created, Updated: created,
			OutputBranch: "master", Inputs: []tusk.BranchRef{{Repo: "edges", Branch: "master"}, {Repo: "images", Branch: "master"}}, Spec: montageSpec},
		{Name: "edges", Description: "find edges", Version: 3, State: tusk.PipelineRunning, LastJobState: tusk.JobSuccess,
			Created: created, Updated: finished, OutputBranch: "master", Inputs: []tusk.BranchRef{{Repo: "images", Branch: "master"}}, Spec: edgesSpec},
	}
	testJobs = []tusk.JobInfo{
		{Pipeline: "edges", ID: jobID, PipelineVersion: 3, State: tusk.JobSuccess, Created: jobStarted, Started: &jobStarted, Finished: &jobEnded,
			DataTotal: 3, DataProcessed: 1, DataSkipped: 2, OutputCommit: tusk.CommitRef{Repo: "edges", Branch: "master", ID: jobID},
			Inputs: []tusk.CommitRef{{Repo: "images", Branch: "master", ID: jobID}, {Repo: "edges.spec", Branch: "master", ID: parentID}},
			Salt:   "6f1d", Image: "ubuntu:20.04", ImageID: "sha256:3db8720ecbf5", ImageDigest: "ubuntu@sha256:8feb4d8ca5354def3d8fce243717141ce31e2c428701f6682bd2fafe15388214",
			Cmd: []string{"python3", "/edges.py"}},
		{Pipeline: "montage", ID: headID, PipelineVersion: 1, State: tusk.JobFailure, Reason: "datum 9c1f failed", Created: jobStarted, Started: &jobStarted, Finished: &jobEnded,
			DataTotal: 4, DataProcessed: 1, DataFailed: 2, DataRecovered: 1, OutputCommit: tusk.CommitRef{Repo: "montage", Branch: "master", ID: headID}},
		{Pipeline: "edges", ID: parentID, PipelineVersion: 3, State: tusk.JobCreated, Created: testNow},
	}
	testLogs = []tusk.LogLine{
		{Pipeline: "edges", Job: jobID, Datum: "9c1f3e", Worker: "edges-v3-0", Time: datumStart, User: true, Message: "reading /pfs/images/a.png"},
		{Pipeline: "edges", Job: jobID, Time: datumEnd.Add(1500 * time.Microsecond), Message: "job SUCCESS"},
	}
	testDatums = []tusk.DatumInfo{
		{Pipeline: "edges", Job: jobID, ID: "9c1f3e", Hash: "ab12", State: tusk.DatumSuccess, Attempts: 1, Index: 0, Worker: "edges-v3-0",
			Inputs:  []tusk.DatumInput{{Name: "images", Repo: "images", Branch: "master", Commit: jobID, Path: "/a.png"}},
			Outputs: []string{"/a.png"}, Started: &datumStart, Finished: &datumEnd},
		{Pipeline: "edges", Job: jobID, ID: "0d2a77", Hash: "cd34", State: tusk.DatumFailed, Reason: "exit status 1", Attempts: 3, Index: 1,
			Inputs: []tusk.DatumInput{{Name: "left", Repo: "images", Commit: jobID, Path: "/b.png"}, {Name: "right", Repo: "masks", Commit: headID, Path: "/b.png"}}},
		{Pipeline: "edges", Job: jobID, ID: "71be40", State: tusk.DatumSkipped, Index: 2,
			Inputs: []tusk.DatumInput{{Name: "images", Repo: "images", Commit: jobID, Path: "/c.png"}}},
	}
)

func TestPipelineOutputGolden(t *testing.T) {
	history := pipelineVersions(testPipelines[1], []json.RawMessage{edgesSpec, montageSpec, edgesSpec})
	for _, tc := range []struct {
		name  string
		print func(p printer) error
	}{
		{"list_pipeline", func(p printer) error {
			return printAllAs(p, pipelineHeader, pipelineCells(p), as(pachapi.PipelineInfoFrom), testPipelines)
		}},
		{"list_pipeline_history", func(p printer) error {
			return printAllAs(p, pipelineHeader, pipelineCells(p), as(pachapi.PipelineInfoFrom), history)
		}},
		{"list_pipeline_spec", func(p printer) error { return printSpecs(p, testPipelines) }},
		{"inspect_pipeline", func(p printer) error { return printPipeline(p, testPipelines[1]) }},
		{"list_job", func(p printer) error { return printAllAs(p, jobHeader, jobCells(p), jobShape, testJobs) }},
		{"list_job_set", func(p printer) error {
			return printAllAs(p, jobSetHeader, jobSetCells(p), jobSetShape, jobSets(testJobs))
		}},
		{"inspect_job", func(p printer) error { return printJob(p, testJobs[0]) }},
		{"inspect_job_failed", func(p printer) error { return printJob(p, testJobs[1]) }},
		{"list_datum", func(p printer) error {
			return printAllAs(p, datumHeader, datumCells, as(pachapi.DatumInfoFrom), testDatums)
		}},
		{"inspect_datum", func(p printer) error { return printDatum(p, testDatums[0]) }},
		{"inspect_datum_failed", func(p printer) error { return printDatum(p, testDatums[1]) }},
		{"logs", func(p printer) error {
			for _, l := range testLogs {
				if err := printLogLine(p, l); err != nil {
					return err
				}
			}
			return nil
		}},
	} {
		for _, format := range []string{"table", "json"} {
			t.Run(tc.name+"_"+format, func(t *testing.T) {
				var buf bytes.Buffer
				p := printer{out: &buf, json: format == "json", now: testNow}
				if err := tc.print(p); err != nil {
					t.Fatal(err)
				}
				golden(t, "pps_"+tc.name+"."+format, buf.Bytes())
			})
		}
	}
}

func TestDrawPipelineGolden(t *testing.T) {
	ps := []tusk.PipelineInfo{
		{Name: "montage", Inputs: []tusk.BranchRef{{Repo: "edges", Branch: "master"}, {Repo: "images", Branch: "master"}}, OutputBranch: "master"},
		{Name: "report", Inputs: []tusk.BranchRef{{Repo: "montage", Branch: "master"}, {Repo: "stats", Branch: "master"}}, OutputBranch: "master"},
		{Name: "edges", Inputs: []tusk.BranchRef{{Repo: "images", Branch: "master"}}, OutputBranch: "master"},
		{Name: "stats", Inputs: []tusk.BranchRef{{Repo: "images", Branch: "staging"}}, OutputBranch: "v2", Stopped: true},
		{Name: "clock", Inputs: []tusk.BranchRef{{Repo: "clock_tick", Branch: "master"}}, OutputBranch: "master"},
		{Name: "loner", OutputBranch: "master"},
	}
	var buf bytes.Buffer
	if err := drawPipelines(&buf, ps); err != nil {
		t.Fatal(err)
	}
	golden(t, "pps_draw_pipeline", buf.Bytes())
}
