package main

// WAN latency (`lab up --latency iad=0ms,pdx=35ms,fra=45ms`, issue 17): a
// cluster with a one-way delay d > 0 gets a delaying TCP front on
// 127.0.0.1:FrontPort, run by the supervisor, that forwards to its
// kube-apiserver and holds every chunk read in either direction for d before
// writing it on, in order. TLS passes through untouched (the apiserver
// certificate's SAN 127.0.0.1 covers any loopback port). The kubeconfigs the
// lab writes for users (kubeconfig, kubeconfig-eks) name the front, so
// meshctl, kubectl and, through the RCC Secrets made from those servers, the
// Typha stand-ins' connections to remote clusters all pay d each way; a
// round trip costs 2d, a new TLS connection about 3 round trips. The lab's
// own clients and each cluster's components (admin.kubeconfig, the stand-ins'
// in-cluster client) talk to the apiserver directly, as they would in the
// cluster's own region. Delay 0: no front, nothing changes.

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// parseLatency reads "x=35ms,y=45ms" or a bare "40ms" (every cluster not
// named) into a delay per cluster; unnamed clusters get 0.
func parseLatency(names []string, spec string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, n := range names {
		out[n] = 0
	}
	if strings.TrimSpace(spec) == "" {
		return out, nil
	}
	named := map[string]bool{}
	var bare *time.Duration
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, hasName := strings.Cut(part, "=")
		if !hasName {
			val, name = name, ""
		}
		d, err := time.ParseDuration(strings.TrimSpace(val))
		if err != nil || d < 0 || d > 10*time.Second {
			return nil, fmt.Errorf("--latency %q: want a duration from 0 to 10s such as 35ms", part)
		}
		if !hasName {
			if bare != nil {
				return nil, fmt.Errorf("--latency: more than one bare value")
			}
			bare = &d
			continue
		}
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("--latency: %q is not a cluster of this lab", name)
		}
		if named[name] {
			return nil, fmt.Errorf("--latency: %q given twice", name)
		}
		named[name] = true
		out[name] = d
	}
	if bare != nil {
		for _, n := range names {
			if !named[n] {
				out[n] = *bare
			}
		}
	}
	return out, nil
}

// latency is the cluster's one-way delay (0 when none or unreadable).
func (c *Cluster) latency() time.Duration {
	if c.Latency == "" {
		return 0
	}
	d, err := time.ParseDuration(c.Latency)
	if err != nil {
		return 0
	}
	return d
}

// serverURL is what the lab's user kubeconfigs name: the front when the
// cluster has one, else the apiserver.
func (s *State) serverURL(c *Cluster) string {
	if c.FrontPort != 0 {
		return "https://127.0.0.1:" + strconv.Itoa(c.FrontPort)
	}
	return s.apiURL(c)
}

// delayFront accepts on ln and forwards each connection to target, delaying
// both directions by delay. It returns when ln is closed.
func delayFront(ln net.Listener, target string, delay time.Duration) {
	for {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			out, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				in.Close()
				return
			}
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); delayCopy(out, in, delay) }()
			go func() { defer wg.Done(); delayCopy(in, out, delay) }()
			wg.Wait()
			in.Close()
			out.Close()
		}()
	}
}

type chunk struct {
	due  time.Time
	data []byte // nil: the source ended
}

// delayCopy copies src to dst, each chunk written no earlier than delay after
// it was read, in order. Reading goes on while earlier chunks wait, so the
// delay is added once per chunk, not accumulated. When src ends, dst's write
// side is closed after the delay (half-close, as TCP would deliver the FIN);
// when dst fails, src is closed.
func delayCopy(dst, src net.Conn, delay time.Duration) {
	q := make(chan chunk, 4096)
	go func() {
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{time.Now().Add(delay), buf[:n]}
			}
			if err != nil {
				q <- chunk{due: time.Now().Add(delay)}
				close(q)
				return
			}
		}
	}()
	failed := false
	for ch := range q {
		if failed {
			continue // drain so the reader never blocks
		}
		if wait := time.Until(ch.due); wait > 0 {
			time.Sleep(wait)
		}
		if ch.data == nil {
			if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			} else {
				dst.Close()
			}
			continue
		}
		if _, err := dst.Write(ch.data); err != nil {
			failed = true
			src.Close()
		}
	}
}

// startFronts listens for every cluster with a delay (called by the
// supervisor); the caller closes the listeners.
func startFronts(st *State) ([]net.Listener, error) {
	var lns []net.Listener
	for _, c := range st.Clusters {
		if c.FrontPort == 0 {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.FrontPort)))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("latency front of %s: %v", c.Name, err)
		}
		lns = append(lns, ln)
		go delayFront(ln, fmt.Sprintf("127.0.0.1:%d", c.APIPort), c.latency())
		slog("latency front of %s: 127.0.0.1:%d -> :%d, %s each way", c.Name, c.FrontPort, c.APIPort, c.latency())
	}
	return lns, nil
}

// waitFronts waits until every front accepts connections.
func waitFronts(st *State) error {
	for _, c := range st.Clusters {
		if c.FrontPort == 0 {
			continue
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", c.FrontPort), time.Second)
			if err == nil {
				conn.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("latency front of %s (127.0.0.1:%d) not listening: %v (see supervisor.log)", c.Name, c.FrontPort, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}
