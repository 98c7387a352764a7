package main

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

func TestParseLatency(t *testing.T) {
	names := []string{"iad", "pdx", "fra"}
	got, err := parseLatency(names, "iad=0ms,pdx=35ms,fra=45ms")
	if err != nil || got["iad"] != 0 || got["pdx"] != 35*time.Millisecond || got["fra"] != 45*time.Millisecond {
		t.Fatalf("per cluster: %v %v", got, err)
	}
	got, err = parseLatency(names, "pdx=10ms,40ms")
	if err != nil || got["iad"] != 40*time.Millisecond || got["pdx"] != 10*time.Millisecond || got["fra"] != 40*time.Millisecond {
		t.Fatalf("bare value: %v %v", got, err)
	}
	got, err = parseLatency(names, "")
	if err != nil || got["iad"] != 0 || got["pdx"] != 0 || got["fra"] != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	for _, bad := range []string{"lon=5ms", "iad=fast", "iad=-1ms", "5ms,6ms", "iad=1ms,iad=2ms", "iad=11s"} {
		if _, err := parseLatency(names, bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// echoServer answers every byte it reads, until the client half-closes.
func echoServer(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln
}

func frontFor(t *testing.T, target string, delay time.Duration) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go delayFront(ln, target, delay)
	return ln.Addr().String()
}

// One round trip through the front costs two one-way delays.
func TestDelayFrontRoundTrip(t *testing.T) {
	echo := echoServer(t)
	defer echo.Close()
	const d = 40 * time.Millisecond
	conn, err := net.Dial("tcp", frontFor(t, echo.Addr().String(), d))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 5)
	for i := 0; i < 3; i++ {
		start := time.Now()
		if _, err := conn.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "hello" {
			t.Fatalf("echo: %q %v", buf, err)
		}
		rtt := time.Since(start)
		if rtt < 2*d || rtt > 2*d+150*time.Millisecond {
			t.Errorf("round trip %d took %v, want about %v", i, rtt, 2*d)
		}
	}
}

// Many chunks written at once arrive in order, intact, and each is delayed
// once: the delay does not add up per chunk.
func TestDelayFrontOrderAndPipelining(t *testing.T) {
	echo := echoServer(t)
	defer echo.Close()
	const d = 30 * time.Millisecond
	conn, err := net.Dial("tcp", frontFor(t, echo.Addr().String(), d))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var want bytes.Buffer
	for i := 0; i < 200; i++ {
		want.Write(bytes.Repeat([]byte{byte(i)}, 1000+i))
	}
	start := time.Now()
	go func() {
		data := want.Bytes()
		for len(data) > 0 { // many small writes, each its own chunk or several
			n := 1000
			if n > len(data) {
				n = len(data)
			}
			conn.Write(data[:n])
			data = data[n:]
		}
		conn.(*net.TCPConn).CloseWrite() // the half-close reaches the echo server
	}()
	got, err := io.ReadAll(conn) // ends when the echo server's FIN comes back
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got %d bytes, want %d, or out of order", len(got), want.Len())
	}
	if elapsed < 2*d || elapsed > 2*d+time.Second {
		t.Errorf("200 KB through the front took %v, want a little over %v", elapsed, 2*d)
	}
}

// A zero delay forwards without waiting; a target that refuses closes the client.
func TestDelayFrontZeroAndRefused(t *testing.T) {
	echo := echoServer(t)
	defer echo.Close()
	conn, err := net.Dial("tcp", frontFor(t, echo.Addr().String(), 0))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	conn.Write([]byte("hi"))
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "hi" {
		t.Fatalf("zero delay: %q %v", buf, err)
	}
	conn.Close()

	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := dead.Addr().String()
	dead.Close()
	conn, err = net.Dial("tcp", frontFor(t, addr, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(buf); err == nil {
		t.Fatal("read from a front whose target refuses: want EOF")
	}
}

func TestServerURLNamesTheFront(t *testing.T) {
	st := &State{}
	c := &Cluster{APIPort: 16443}
	if st.serverURL(c) != "https://127.0.0.1:16443" {
		t.Errorf("no latency: %s", st.serverURL(c))
	}
	c.FrontPort, c.Latency = 16444, "35ms"
	if st.serverURL(c) != "https://127.0.0.1:16444" || c.latency() != 35*time.Millisecond {
		t.Errorf("latency: %s %v", st.serverURL(c), c.latency())
	}
}
