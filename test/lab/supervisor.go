package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The supervisor is one detached daemon per lab. It plays the part of each
// node's kubelet: serves container logs over HTTPS on NodeIP:10250, and runs
// one Typha stand-in process per Typha pod, restarting it when it exits
// (exit code 129 = "restart to pick up new connection data"), unless the pod
// was stopped with `lab stop-typha`.

func startSupervisor(st *State) error {
	pf := filepath.Join(st.Dir, "supervisor.pid")
	if _, ok := st.alive(pf); ok {
		return waitTyphas(st)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if _, err := startDetached(exe, []string{"supervise", "--dir", st.Dir}, filepath.Join(st.Dir, "supervisor.log"), pf); err != nil {
		return err
	}
	return waitTyphas(st)
}

// waitTyphas waits until every kubelet endpoint listens and every Typha
// stand-in that should run has written its first log line.
func waitTyphas(st *State) error {
	deadline := time.Now().Add(60 * time.Second)
	for _, c := range st.Clusters {
		for {
			conn, err := net.DialTimeout("tcp", net.JoinHostPort(c.NodeIP, strconv.Itoa(kubeletPort)), time.Second)
			if err == nil {
				conn.Close()
				break
			}
			if _, ok := st.alive(filepath.Join(st.Dir, "supervisor.pid")); !ok {
				return fmt.Errorf("supervisor exited; see %s:\n%s", filepath.Join(st.Dir, "supervisor.log"), tail(filepath.Join(st.Dir, "supervisor.log"), 15))
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("fake kubelet for %s not listening on %s:%d", c.Name, c.NodeIP, kubeletPort)
			}
			time.Sleep(200 * time.Millisecond)
		}
		for _, p := range c.TyphaPods {
			if _, err := os.Stat(st.path(c, "typha", p+".stopped")); err == nil {
				continue
			}
			for {
				if fi, err := os.Stat(st.typhaLog(c, p)); err == nil && fi.Size() > 0 {
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("typha %s/%s wrote no log; see %s", c.Name, p, filepath.Join(st.Dir, "supervisor.log"))
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	return nil
}

func stopTypha(st *State, c *Cluster, pod string) error {
	pods, err := selectPods(c, pod)
	if err != nil {
		return err
	}
	for _, p := range pods {
		// Marker first, so the supervisor does not restart it.
		if err := os.WriteFile(st.path(c, "typha", p+".stopped"), []byte("stopped\n"), 0o644); err != nil {
			return err
		}
		pf := st.path(c, "typha", p+".pid")
		if pid, ok := st.alive(pf); ok {
			st.stopPid(pid, 10*time.Second)
			progress("typha %s/%s stopped (pid %d)", c.Name, p, pid)
		} else {
			progress("typha %s/%s was not running", c.Name, p)
		}
		// A real kubelet's readiness probe would fail now; say so in the pod.
		if err := setTyphaPodReady(st, c, p, false); err != nil {
			return err
		}
	}
	return nil
}

// setTyphaPodReady flips the pod's Ready conditions, as the kubelet does when
// a readiness probe starts failing or passing again.
func setTyphaPodReady(st *State, c *Cluster, name string, ready bool) error {
	cs, err := adminClient(st, c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pod, err := cs.CoreV1().Pods(typhaNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("pod %s: %v", name, err)
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	for i := range pod.Status.Conditions {
		t := pod.Status.Conditions[i].Type
		if t == corev1.PodReady || t == corev1.ContainersReady {
			pod.Status.Conditions[i].Status = status
			pod.Status.Conditions[i].LastTransitionTime = metav1.Now()
		}
	}
	for i := range pod.Status.ContainerStatuses {
		pod.Status.ContainerStatuses[i].Ready = ready
	}
	if _, err := cs.CoreV1().Pods(typhaNS).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("pod %s status: %v", name, err)
	}
	return nil
}

func startTypha(st *State, c *Cluster, pod string) error {
	pods, err := selectPods(c, pod)
	if err != nil {
		return err
	}
	for _, p := range pods {
		os.Remove(st.path(c, "typha", p+".stopped"))
	}
	if _, ok := st.alive(filepath.Join(st.Dir, "supervisor.pid")); !ok {
		if err := startSupervisor(st); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, p := range pods {
		for {
			if pid, ok := st.alive(st.path(c, "typha", p+".pid")); ok {
				progress("typha %s/%s running (pid %d)", c.Name, p, pid)
				if err := setTyphaPodReady(st, c, p, true); err != nil {
					return err
				}
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("typha %s/%s did not start; see %s", c.Name, p, filepath.Join(st.Dir, "supervisor.log"))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

func selectPods(c *Cluster, pod string) ([]string, error) {
	if pod == "" {
		return c.TyphaPods, nil
	}
	for _, p := range c.TyphaPods {
		if p == pod {
			return []string{p}, nil
		}
	}
	return nil, fmt.Errorf("no Typha pod %q in %s (pods: %s)", pod, c.Name, strings.Join(c.TyphaPods, ","))
}

type supervisor struct {
	st       *State
	mu       sync.Mutex
	children map[int]bool
	stopping bool
	wg       sync.WaitGroup
}

func slog(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s supervisor: %s\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
}

func cmdSupervise(args []string) error {
	fs := flag.NewFlagSet("supervise", flag.ContinueOnError)
	dir := fs.String("dir", "", "lab directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := loadState(*dir)
	if err != nil {
		return err
	}
	sv := &supervisor{st: st, children: map[int]bool{}}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	for _, c := range st.Clusters {
		srv, err := sv.kubelet(c)
		if err != nil {
			return err
		}
		defer srv.Close()
		for _, p := range c.TyphaPods {
			sv.wg.Add(1)
			go sv.runPod(c, p)
		}
	}
	slog("running (pid %d)", os.Getpid())
	s := <-sig
	slog("got %v, stopping Typha stand-ins", s)
	sv.mu.Lock()
	sv.stopping = true
	for pid := range sv.children {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	sv.mu.Unlock()
	done := make(chan struct{})
	go func() { sv.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		sv.mu.Lock()
		for pid := range sv.children {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		sv.mu.Unlock()
	}
	return nil
}

func (sv *supervisor) isStopping() bool {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return sv.stopping
}

// runPod keeps one Typha stand-in running, as the kubelet keeps a container.
func (sv *supervisor) runPod(c *Cluster, pod string) {
	defer sv.wg.Done()
	st := sv.st
	marker := st.path(c, "typha", pod+".stopped")
	restarts := 0
	for !sv.isStopping() {
		if _, err := os.Stat(marker); err == nil {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		tokenFile, err := sv.ensureToken(c, pod)
		if err != nil {
			slog("%s/%s: no token yet: %v", c.Name, pod, err)
			time.Sleep(2 * time.Second)
			continue
		}
		exe, _ := os.Executable()
		idx := 0
		for i, p := range c.TyphaPods {
			if p == pod {
				idx = i
			}
		}
		args := []string{"typha", "--dir", st.Dir, "--cluster", c.Name, "--pod", pod,
			"--token-file", tokenFile,
			"--metrics", net.JoinHostPort(c.NodeIP, strconv.Itoa(c.MetricsPorts[idx])),
			"--recheck", st.Recheck, "--loss-delay", st.LossDelay}
		lf, err := os.OpenFile(st.typhaLog(c, pod), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			slog("%s/%s: %v", c.Name, pod, err)
			time.Sleep(2 * time.Second)
			continue
		}
		cmd := exec.Command(exe, args...)
		cmd.Stdout, cmd.Stderr = lf, lf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		sv.mu.Lock()
		if sv.stopping {
			sv.mu.Unlock()
			lf.Close()
			return
		}
		err = cmd.Start()
		if err == nil {
			sv.children[cmd.Process.Pid] = true
		}
		sv.mu.Unlock()
		if err != nil {
			lf.Close()
			slog("%s/%s: start: %v", c.Name, pod, err)
			time.Sleep(2 * time.Second)
			continue
		}
		pf := st.path(c, "typha", pod+".pid")
		os.WriteFile(pf, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
		slog("%s/%s: started typha stand-in pid %d", c.Name, pod, cmd.Process.Pid)
		err = cmd.Wait()
		lf.Close()
		sv.mu.Lock()
		delete(sv.children, cmd.Process.Pid)
		sv.mu.Unlock()
		os.Remove(pf)
		code := cmd.ProcessState.ExitCode()
		slog("%s/%s: typha stand-in exited (code %d, %v)", c.Name, pod, code, err)
		if sv.isStopping() {
			return
		}
		if _, err := os.Stat(marker); err == nil {
			continue // stopped on purpose
		}
		restarts++
		go sv.recordRestart(c, pod, restarts, code)
		if code != 129 {
			time.Sleep(2 * time.Second) // crash: back off a little, as a kubelet would
		}
	}
}

// ensureToken returns a file with a TokenRequest token for
// calico-system/calico-typha bound to the pod, as a kubelet-projected token
// would be. It is reused while valid, so restarts do not need the apiserver.
func (sv *supervisor) ensureToken(c *Cluster, pod string) (string, error) {
	st := sv.st
	tf := st.path(c, "typha", pod+".token")
	ef := tf + ".expiry"
	if b, err := os.ReadFile(ef); err == nil {
		if exp, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b))); err == nil && time.Until(exp) > 6*time.Hour {
			if _, err := os.Stat(tf); err == nil {
				return tf, nil
			}
		}
	}
	cs, err := adminClient(st, c)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := cs.CoreV1().Pods(typhaNS).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	exp := int64(7 * 24 * 3600)
	tr, err := cs.CoreV1().ServiceAccounts(typhaNS).CreateToken(ctx, "calico-typha", &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: &exp,
			BoundObjectRef: &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod, UID: p.UID}},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(tf, []byte(tr.Status.Token), 0o600); err != nil {
		return "", err
	}
	os.WriteFile(ef, []byte(tr.Status.ExpirationTimestamp.UTC().Format(time.RFC3339)), 0o644)
	return tf, nil
}

func (sv *supervisor) recordRestart(c *Cluster, pod string, restarts, code int) {
	cs, err := adminClient(sv.st, c)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := cs.CoreV1().Pods(typhaNS).Get(ctx, pod, metav1.GetOptions{})
	if err != nil || len(p.Status.ContainerStatuses) == 0 {
		return
	}
	now := metav1.Now()
	cst := &p.Status.ContainerStatuses[0]
	cst.RestartCount = int32(restarts)
	cst.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: int32(code), Reason: "Error", FinishedAt: now}}
	cst.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}
	cs.CoreV1().Pods(typhaNS).UpdateStatus(ctx, p, metav1.UpdateOptions{})
}

// --- fake kubelet: container logs ---------------------------------------

func (sv *supervisor) kubelet(c *Cluster) (*http.Server, error) {
	cert, err := tls.LoadX509KeyPair(sv.st.pki(c, "kubelet.crt"), sv.st.pki(c, "kubelet.key"))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(c.NodeIP, strconv.Itoa(kubeletPort)))
	if err != nil {
		return nil, fmt.Errorf("fake kubelet for %s: %v", c.Name, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/containerLogs/", func(w http.ResponseWriter, r *http.Request) { sv.containerLogs(c, w, r) })
	srv := &http.Server{Handler: mux, ErrorLog: log.New(io.Discard, "", 0), TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go func() {
		if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog("fake kubelet %s: %v", c.Name, err)
		}
	}()
	return srv, nil
}

type logLine struct {
	t    time.Time
	text string // with trailing newline
}

// readLogLines reads a Typha log file and dates each line by its logrus
// timestamp (lines without one inherit the previous line's time).
func readLogLines(file string, from int64) ([]logLine, int64, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, from, err
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return nil, from, err
	}
	var out []logLine
	var last time.Time
	r := bufio.NewReader(f)
	off := from
	for {
		s, err := r.ReadString('\n')
		if err != nil {
			break // partial last line: leave it for the next read
		}
		off += int64(len(s))
		if len(s) >= 23 {
			if t, err := time.ParseInLocation("2006-01-02 15:04:05.000", s[:23], time.UTC); err == nil {
				last = t
			}
		}
		if last.IsZero() {
			if fi, err := f.Stat(); err == nil {
				last = fi.ModTime().UTC()
			}
		}
		out = append(out, logLine{t: last, text: s})
	}
	return out, off, nil
}

func (sv *supervisor) containerLogs(c *Cluster, w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/"), "/")
	if len(parts) != 3 {
		http.Error(w, "expected /containerLogs/{namespace}/{pod}/{container}", http.StatusBadRequest)
		return
	}
	ns, pod, container := parts[0], parts[1], parts[2]
	found := false
	for _, p := range c.TyphaPods {
		if p == pod {
			found = true
		}
	}
	if ns != typhaNS || !found {
		http.Error(w, fmt.Sprintf("pod %s/%s not found on this node", ns, pod), http.StatusNotFound)
		return
	}
	if container != "calico-typha" {
		http.Error(w, fmt.Sprintf("container %q in pod %q is not available", container, pod), http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	tailLines := -1
	if v := q.Get("tailLines"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			http.Error(w, "bad tailLines", http.StatusBadRequest)
			return
		}
		tailLines = n
	}
	var since time.Time
	if v := q.Get("sinceSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			http.Error(w, "bad sinceSeconds", http.StatusBadRequest)
			return
		}
		since = time.Now().Add(-time.Duration(n) * time.Second)
	}
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			http.Error(w, "bad sinceTime", http.StatusBadRequest)
			return
		}
		since = t
	}
	limit := int64(-1)
	if v := q.Get("limitBytes"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			http.Error(w, "bad limitBytes", http.StatusBadRequest)
			return
		}
		limit = n
	}
	timestamps := q.Get("timestamps") == "true" || q.Get("timestamps") == "1"
	follow := q.Get("follow") == "true" || q.Get("follow") == "1"

	file := sv.st.typhaLog(c, pod)
	lines, off, err := readLogLines(file, 0)
	if err != nil && !os.IsNotExist(err) {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if !since.IsZero() {
		i := 0
		for i < len(lines) && lines[i].t.Before(since) {
			i++
		}
		lines = lines[i:]
	}
	if tailLines >= 0 && len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	w.Header().Set("Content-Type", "text/plain")
	written := int64(0)
	emit := func(ls []logLine) bool {
		for _, ln := range ls {
			s := ln.text
			if timestamps {
				s = ln.t.Format("2006-01-02T15:04:05.000000000Z07:00") + " " + s
			}
			if limit >= 0 && written+int64(len(s)) > limit {
				s = s[:limit-written]
			}
			n, err := io.WriteString(w, s)
			written += int64(n)
			if err != nil || (limit >= 0 && written >= limit) {
				return false
			}
		}
		return true
	}
	if !emit(lines) || !follow {
		return
	}
	// follow: poll the file for appended lines until the client goes away.
	fl, _ := w.(http.Flusher)
	for {
		if fl != nil {
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(300 * time.Millisecond):
		}
		var more []logLine
		more, off, err = readLogLines(file, off)
		if err != nil {
			continue
		}
		if !emit(more) {
			return
		}
	}
}
