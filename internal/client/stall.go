package client

import (
	"context"
	"net"
	"time"
)

// A stallConn fails a read or a write that moves no byte for idle: a
// server that stalls or is cut off in the middle of a transfer (a
// worker's input download or output upload), after it began to answer,
// would otherwise hold the transfer for as long as TCP waits, which is
// for ever when the server's kernel still acknowledges (a paused
// process). A transfer that keeps moving is never cut, however long.
type stallConn struct {
	net.Conn
	idle time.Duration
}

func (c stallConn) Read(p []byte) (int, error) {
	if err := c.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c stallConn) Write(p []byte) (int, error) {
	if err := c.SetWriteDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// dialer is a transport's DialContext.
type dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// stalling returns dial with its connections cut when a read or a write
// moves nothing for idle.
func stalling(dial dialer, idle time.Duration) dialer {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return stallConn{Conn: conn, idle: idle}, nil
	}
}
