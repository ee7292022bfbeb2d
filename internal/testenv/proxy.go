package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy forwards TCP connections to a server. Stopping it makes the server
// look down (connections are refused and open ones are cut) without
// touching the server, which other tests may share; starting it again
// makes the server reachable at the same address.
type Proxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener // nil while stopped
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// StartProxy returns a running proxy to target (host:port) on a free
// loopback port. It stops when t ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	return StartProxyOn(t, "127.0.0.1:0", target)
}

// StartProxyOn is StartProxy listening on listen (host:port, port 0 for
// a free one): on the gateway of a Docker network, it makes a service of
// the host's loopback reachable from the network's containers.
func StartProxyOn(t testing.TB, listen, target string) *Proxy {
	t.Helper()
	p := &Proxy{t: t, target: target, addr: listen, conns: map[net.Conn]bool{}}
	p.Start()
	t.Cleanup(p.Stop)
	return p
}

// Addr is the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.addr }

// Start listens again after Stop.
func (p *Proxy) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: %v", err)
	}
	p.ln, p.addr = ln, ln.Addr().String()
	p.wg.Add(1)
	go p.accept(ln)
}

// Stop refuses new connections and cuts the open ones.
func (p *Proxy) Stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		// A client cut off without a word (its host partitioned, its
		// network gone) is given up on within seconds, and its
		// connection to the target closed, as the target would do
		// without the proxy between them: Tusk asks PostgreSQL for such
		// keepalives on its servers' sessions.
		c.(*net.TCPConn).SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 2 * time.Second, Interval: time.Second, Count: 3})
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.ln != ln { // stopped meanwhile
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// pipe copies from src to dst until either fails, then closes both.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}
