package dockerengine

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestDemux(t *testing.T) {
	var stream bytes.Buffer
	for i, s := range []string{"out\n", "err\n"} {
		hdr := [8]byte{byte(i + 1)}
		binary.BigEndian.PutUint32(hdr[4:], uint32(len(s)))
		stream.Write(hdr[:])
		stream.WriteString(s)
	}
	var got bytes.Buffer
	if err := demux(&got, &stream); err != nil || got.String() != "out\nerr\n" {
		t.Errorf("demux = %q, %v", got.String(), err)
	}
}

func TestEngineSocket(t *testing.T) {
	tests := []struct {
		opt, env, want string
		fails          bool
	}{
		{want: "/var/run/docker.sock"},
		{env: "unix:///run/user/1000/docker.sock", want: "/run/user/1000/docker.sock"},
		{opt: "unix:///x.sock", env: "tcp://h:2375", want: "/x.sock"},
		{env: "tcp://h:2375", fails: true},
	}
	for _, tt := range tests {
		t.Setenv("DOCKER_HOST", tt.env)
		got, err := Socket(tt.opt)
		if got != tt.want || (err != nil) != tt.fails {
			t.Errorf("Socket(%q) with DOCKER_HOST=%q = %q, %v; want %q", tt.opt, tt.env, got, err, tt.want)
		}
	}
}

func TestAPIOlder(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"1.41", "1.41", false},
		{"1.40", "1.41", true},
		{"1.9", "1.41", true},
		{"1.47", "1.41", false},
		{"2.0", "1.99", false},
	}
	for _, tt := range tests {
		if got := apiOlder(tt.a, tt.b); got != tt.want {
			t.Errorf("apiOlder(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
