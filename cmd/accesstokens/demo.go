package main

// --demo: the built-in fake Bitbucket, started in-process with the demo world.

import (
	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// connectDemo starts the built-in fake Bitbucket on loopback, seeded with
// the generated demo world (accesstokenstest.DemoWorld: 8 users, two of them
// deactivated, 4 projects, 14 repositories, 3 archived, 54 tokens covering
// every finding, dated relative to now), and returns a client acting on it
// as the demo admin. The fake stops when the Factory closes: each run starts
// from the same world.
func (f *Factory) connectDemo(opts []accesstokens.Option) (*Connection, error) {
	srv := accesstokenstest.NewServer(accesstokenstest.WithWorld(accesstokenstest.DemoWorld()))
	f.closers = append(f.closers, srv.Close)
	opts = append(opts, accesstokens.WithBasicAuth(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword))
	client, err := accesstokens.NewClient(srv.URL, opts...)
	if err != nil {
		return nil, err
	}
	return &Connection{Client: client, URL: srv.URL, Demo: true, Now: srv.Now, Waits: f.waits, MaxWait: f.readPatience(), Timeout: f.conn.timeout}, nil
}
