package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
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

	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
)

// The supervisor is one detached daemon per lab. It plays the part of each
// node's kubelet and of the deployment controller: serves container logs over
// HTTPS on NodeIP:10250, runs one stand-in process per pod (Typha,
// non-cluster-host Typha, calico-kube-controllers), starting a new container
// run when one exits (exit code 129 = "restart to pick up new connection
// data"), unless the pod was stopped with `lab stop-typha`, and restarts a
// Deployment's containers when its pod template changes (kubectl rollout
// restart).

func startSupervisor(st *State) error {
	pf := filepath.Join(st.Dir, "supervisor.pid")
	if _, ok := st.alive(pf); ok {
		return waitTyphas(st)
	}
	// Stand-ins left over from a supervisor that died hold their metrics
	// ports: end them (only PIDs we recorded) so new runs can start.
	for _, c := range st.Clusters {
		for _, p := range c.pods() {
			st.stopPidfile(st.path(c, "typha", p.Name+".pid"), 5*time.Second)
		}
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

// waitTyphas waits until every kubelet endpoint listens and every stand-in
// that should run has written its first log line.
func waitTyphas(st *State) error {
	deadline := time.Now().Add(60 * time.Second)
	// Something listening on a node address is not proof that it is our
	// supervisor (another lab's may hold it, which makes ours exit at once):
	// every wait also checks that the supervisor still runs.
	supervisorGone := func() error {
		pf, lf := filepath.Join(st.Dir, "supervisor.pid"), filepath.Join(st.Dir, "supervisor.log")
		if pid, ok := st.alive(pf); !ok {
			return fmt.Errorf("supervisor exited (%s); see %s:\n%s", howEnded(pid, 2*time.Second), lf, tail(lf, 15))
		}
		return nil
	}
	for _, c := range st.Clusters {
		for {
			conn, err := net.DialTimeout("tcp", net.JoinHostPort(c.NodeIP, strconv.Itoa(kubeletPort)), time.Second)
			if err == nil {
				conn.Close()
				break
			}
			if err := supervisorGone(); err != nil {
				return err
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("fake kubelet for %s not listening on %s:%d", c.Name, c.NodeIP, kubeletPort)
			}
			time.Sleep(200 * time.Millisecond)
		}
		for _, p := range c.pods() {
			if _, err := os.Stat(st.path(c, "typha", p.Name+".stopped")); err == nil {
				continue
			}
			for {
				if f := st.typhaLog(c, p.Name); f != "" {
					if fi, err := os.Stat(f); err == nil && fi.Size() > 0 {
						break
					}
				}
				if err := supervisorGone(); err != nil {
					return err
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("%s/%s wrote no log; see %s", c.Name, p.Name, filepath.Join(st.Dir, "supervisor.log"))
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
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	// The supervisor records container runs in the same status (recordRun):
	// re-read and try again on a conflict, as a kubelet's status manager does.
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		pod, err := cs.CoreV1().Pods(typhaNS).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("pod %s: %v", name, err)
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
		_, err = cs.CoreV1().Pods(typhaNS).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		return err
	})
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

// selectPods: one Typha pod (of either Typha Deployment) or all of them.
func selectPods(c *Cluster, pod string) ([]string, error) {
	var all []string
	for _, p := range c.typhaPods() {
		all = append(all, p.Name)
	}
	if pod == "" {
		return all, nil
	}
	for _, p := range all {
		if p == pod {
			return []string{p}, nil
		}
	}
	return nil, fmt.Errorf("no Typha pod %q in %s (pods: %s)", pod, c.Name, strings.Join(all, ","))
}

// typhaChatter makes running Typha stand-ins write n chatter lines now,
// through their control file D/clusters/X/typha/<pod>.chatter, and waits
// until they have written them.
func typhaChatter(st *State, c *Cluster, pod string, n int) error {
	if n <= 0 {
		return fmt.Errorf("--lines must be > 0")
	}
	pods, err := selectPods(c, pod)
	if err != nil {
		return err
	}
	var waiting []string
	for _, p := range pods {
		if _, ok := st.alive(st.path(c, "typha", p+".pid")); !ok {
			if pod != "" {
				return fmt.Errorf("typha %s/%s is not running", c.Name, p)
			}
			continue
		}
		f := st.path(c, "typha", p+".chatter")
		tmp := f + ".tmp"
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, f); err != nil {
			return err
		}
		waiting = append(waiting, f)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, f := range waiting {
		for {
			_, e1 := os.Stat(f)
			_, e2 := os.Stat(f + ".taken")
			if os.IsNotExist(e1) && os.IsNotExist(e2) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s was not taken within 20s (is the stand-in running?)", f)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	progress("%d chatter line(s) written by %d Typha pod(s) of %s", n, len(waiting), c.Name)
	return nil
}

type supervisor struct {
	st       *State
	mu       sync.Mutex
	children map[int]bool
	rollout  map[string]bool // pod -> its current run is being ended by a rollout restart
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
	sv := &supervisor{st: st, children: map[int]bool{}, rollout: map[string]bool{}}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	fronts, err := startFronts(st)
	if err != nil {
		return err
	}
	for _, ln := range fronts {
		defer ln.Close()
	}
	for _, c := range st.Clusters {
		srv, err := sv.kubelet(c)
		if err != nil {
			return err
		}
		defer srv.Close()
		if c.needsCalicoServer() {
			capi, err := sv.calicoServer(c)
			if err != nil {
				return err
			}
			defer capi.Close()
		}
		for _, p := range c.pods() {
			sv.wg.Add(1)
			go sv.runPod(c, p)
		}
		go sv.watchDeployments(c)
	}
	slog("running (pid %d)", os.Getpid())
	s := <-sig
	slog("got %v, stopping stand-ins", s)
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

// logSink writes a container's output line by line into its run's log file;
// with a cap, a file that would grow past it is rotated away (renamed to
// .rotated, replacing an older one) and a new current file begins, as the
// kubelet's log rotation does. The fake kubelet serves only the current file.
type logSink struct {
	path string
	max  int64
	f    *os.File
	size int64
}

func (s *logSink) write(line []byte) {
	if s.max > 0 && s.size > 0 && s.size+int64(len(line)) > s.max {
		s.f.Close()
		os.Rename(s.path, s.path+".rotated")
		f, err := os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return
		}
		s.f, s.size = f, 0
	}
	n, _ := s.f.Write(line)
	s.size += int64(n)
}

func (sv *supervisor) standInArgs(c *Cluster, p podInfo, tokenFile string) []string {
	st := sv.st
	args := []string{p.Kind, "--dir", st.Dir, "--cluster", c.Name, "--pod", p.Name, "--sa", p.SA,
		"--token-file", tokenFile, "--loss-delay", st.LossDelay}
	if st.SecretWatchTimeout != "" {
		args = append(args, "--secret-watch-timeout", st.SecretWatchTimeout)
	}
	if st.WatchTimeout != "" {
		args = append(args, "--watch-timeout", st.WatchTimeout)
	}
	if p.Kind == "typha" {
		args = append(args, "--log-rate", strconv.FormatFloat(st.LogRate, 'f', -1, 64),
			"--chatter-file", st.path(c, "typha", p.Name+".chatter"))
	}
	if p.Metrics != 0 {
		args = append(args, "--metrics", net.JoinHostPort(c.NodeIP, strconv.Itoa(p.Metrics)))
	}
	return args
}

// runPod keeps one stand-in running, as the kubelet keeps a container: every
// process is a new container run with its own log file.
func (sv *supervisor) runPod(c *Cluster, p podInfo) {
	defer sv.wg.Done()
	st := sv.st
	marker := st.path(c, "typha", p.Name+".stopped")
	os.MkdirAll(st.path(c, "logs", p.Name), 0o755)
	lastExit, lastReason := 0, ""
	var lastStarted, lastFinished metav1.Time
	for !sv.isStopping() {
		if _, err := os.Stat(marker); err == nil {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		tokenFile, err := sv.ensureToken(c, p)
		if err != nil {
			slog("%s/%s: no token yet: %v", c.Name, p.Name, err)
			time.Sleep(2 * time.Second)
			continue
		}
		run := st.currentRun(c, p.Name) + 1
		lf, err := os.OpenFile(st.runLog(c, p.Name, run), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			slog("%s/%s: %v", c.Name, p.Name, err)
			time.Sleep(2 * time.Second)
			continue
		}
		sink := &logSink{path: st.runLog(c, p.Name, run), max: st.LogMaxBytes, f: lf}
		pr, pw, err := os.Pipe()
		if err != nil {
			lf.Close()
			slog("%s/%s: pipe: %v", c.Name, p.Name, err)
			time.Sleep(2 * time.Second)
			continue
		}
		exe, _ := os.Executable()
		cmd := exec.Command(exe, sv.standInArgs(c, p, tokenFile)...)
		cmd.Stdout, cmd.Stderr = pw, pw
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		sv.mu.Lock()
		if sv.stopping {
			sv.mu.Unlock()
			lf.Close()
			pr.Close()
			pw.Close()
			return
		}
		err = cmd.Start()
		if err == nil {
			sv.children[cmd.Process.Pid] = true
		}
		sv.mu.Unlock()
		pw.Close()
		if err != nil {
			lf.Close()
			pr.Close()
			slog("%s/%s: start: %v", c.Name, p.Name, err)
			time.Sleep(2 * time.Second)
			continue
		}
		copied := make(chan struct{})
		go func() {
			defer close(copied)
			r := bufio.NewReaderSize(pr, 64<<10)
			for {
				line, err := r.ReadBytes('\n')
				if len(line) > 0 {
					sink.write(line)
				}
				if err != nil {
					return
				}
			}
		}()
		started := metav1.Now()
		pf := st.path(c, "typha", p.Name+".pid")
		if err := awaitExec(cmd.Process.Pid, 60*time.Second); err != nil {
			slog("%s/%s: %v", c.Name, p.Name, err)
		}
		writePidfile(pf, cmd.Process.Pid)
		slog("%s/%s: started %s stand-in pid %d (container run %d)", c.Name, p.Name, p.Kind, cmd.Process.Pid, run)
		if run > 1 {
			go sv.recordRun(c, p, run, started, lastExit, lastReason, lastStarted, lastFinished)
		}
		err = cmd.Wait()
		<-copied
		pr.Close()
		sink.f.Close()
		sv.mu.Lock()
		delete(sv.children, cmd.Process.Pid)
		rolled := sv.rollout[p.Name]
		delete(sv.rollout, p.Name)
		sv.mu.Unlock()
		os.Remove(pf)
		code := cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		lastExit, lastStarted, lastFinished = code, started, metav1.Now()
		lastReason = "Error"
		if code == 0 || rolled {
			lastReason = "Completed"
		}
		slog("%s/%s: stand-in exited (code %d, %v)", c.Name, p.Name, code, err)
		if sv.isStopping() {
			return
		}
		if _, err := os.Stat(marker); err == nil {
			continue // stopped on purpose
		}
		if code != exitRestart && !rolled {
			time.Sleep(2 * time.Second) // crash: back off a little, as a kubelet would
		}
	}
}

// ensureToken returns a file with a TokenRequest token for the pod's
// ServiceAccount bound to the pod, as a kubelet-projected token would be. It
// is reused while valid, so restarts do not need the apiserver.
func (sv *supervisor) ensureToken(c *Cluster, p podInfo) (string, error) {
	st := sv.st
	tf := st.path(c, "typha", p.Name+".token")
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
	pod, err := cs.CoreV1().Pods(typhaNS).Get(ctx, p.Name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	exp := int64(7 * 24 * 3600)
	tr, err := cs.CoreV1().ServiceAccounts(typhaNS).CreateToken(ctx, p.SA, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: &exp,
			BoundObjectRef: &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: pod.UID}},
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

// recordRun writes the pod status a kubelet writes for a new container run:
// restartCount = runs before this one, lastState = how the previous ended.
func (sv *supervisor) recordRun(c *Cluster, p podInfo, run int, started metav1.Time, code int, reason string, prevStarted, finished metav1.Time) {
	cs, err := adminClient(sv.st, c)
	if err != nil {
		return
	}
	for attempt := 0; attempt < 5; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		pod, err := cs.CoreV1().Pods(typhaNS).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil || len(pod.Status.ContainerStatuses) == 0 {
			cancel()
			time.Sleep(time.Second)
			continue
		}
		cst := &pod.Status.ContainerStatuses[0]
		prevID := cst.ContainerID
		cst.RestartCount = int32(run - 1)
		cst.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: int32(code), Reason: reason, StartedAt: prevStarted, FinishedAt: finished, ContainerID: prevID}}
		cst.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}
		cst.ContainerID = fmt.Sprintf("lab://%s/%d", p.Name, run)
		_, err = cs.CoreV1().Pods(typhaNS).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		cancel()
		if err == nil {
			return
		}
		time.Sleep(time.Second)
	}
}

// ---- deployment controller: rollout restart -------------------------------------

func templateHash(d *appsv1.Deployment) string {
	b, _ := json.Marshal(d.Spec.Template)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// watchDeployments polls the cluster's stand-in Deployments; when one's pod
// template changes (kubectl rollout restart sets the
// kubectl.kubernetes.io/restartedAt annotation), every pod of it gets a new
// container run, and the Deployment's status is brought up to date. Real
// Kubernetes would replace the pods by new ones with new names.
func (sv *supervisor) watchDeployments(c *Cluster) {
	st := sv.st
	deps := map[string]bool{}
	for _, p := range c.pods() {
		deps[p.Deployment] = true
	}
	// One watch (informer) per cluster on the Deployments of calico-system;
	// a resync every 30 s catches a status write that failed.
	var cs *kubernetes.Clientset
	for {
		var err error
		if cs, err = adminClient(st, c); err == nil {
			break
		}
		time.Sleep(2 * time.Second)
	}
	var mu sync.Mutex
	check := func(obj interface{}) {
		d, ok := obj.(*appsv1.Deployment)
		if !ok || !deps[d.Name] || sv.isStopping() {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		dep := d.Name
		hf := st.path(c, "typha", dep+".template")
		h := templateHash(d)
		old, _ := os.ReadFile(hf)
		if string(old) == h && d.Status.ObservedGeneration >= d.Generation {
			return
		}
		os.WriteFile(hf, []byte(h), 0o644)
		if len(old) > 0 && string(old) != h {
			slog("%s: deployment %s: pod template changed, restarting its containers", c.Name, dep)
			for _, p := range c.deploymentPods(dep) {
				sv.restartContainer(c, p)
			}
		}
		n := int32(len(c.deploymentPods(dep)))
		now := metav1.Now()
		d = d.DeepCopy()
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n,
			ReadyReplicas: n, AvailableReplicas: n,
			Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable", LastUpdateTime: now, LastTransitionTime: now},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable", LastUpdateTime: now, LastTransitionTime: now},
			}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		cs.AppsV1().Deployments(typhaNS).UpdateStatus(ctx, d, metav1.UpdateOptions{})
		cancel()
	}
	f := informers.NewSharedInformerFactoryWithOptions(cs, 30*time.Second, informers.WithNamespace(typhaNS))
	inf := f.Apps().V1().Deployments().Informer()
	inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    check,
		UpdateFunc: func(_, n interface{}) { check(n) },
	})
	inf.Run(make(chan struct{}))
}

func (sv *supervisor) restartContainer(c *Cluster, p podInfo) {
	pid, ok := sv.st.alive(sv.st.path(c, "typha", p.Name+".pid"))
	if !ok {
		return
	}
	sv.mu.Lock()
	sv.rollout[p.Name] = true
	sv.mu.Unlock()
	syscall.Kill(pid, syscall.SIGTERM)
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

// readLogLines reads a container log file and dates each line by its logrus
// timestamp (lines without one, e.g. client-go's klog lines, inherit the
// previous line's time).
func readLogLines(file string, from int64) ([]logLine, int64, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, from, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < from {
		from = 0 // rotated: a new current file
	}
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
	p, found := c.pod(pod)
	if ns != typhaNS || !found {
		http.Error(w, fmt.Sprintf("pod %s/%s not found on this node", ns, pod), http.StatusNotFound)
		return
	}
	if container != p.Container {
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
	previous := q.Get("previous") == "true" || q.Get("previous") == "1"

	runs := sv.st.runs(c, pod)
	run := 0
	if previous {
		if len(runs) >= 2 {
			run = runs[len(runs)-2]
		}
		if run == 0 {
			http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", container, pod), http.StatusBadRequest)
			return
		}
		follow = false
	} else if len(runs) > 0 {
		run = runs[len(runs)-1]
	}
	var lines []logLine
	var off int64
	file := ""
	if run > 0 {
		file = sv.st.runLog(c, pod, run)
		var err error
		lines, off, err = readLogLines(file, 0)
		if err != nil && !os.IsNotExist(err) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
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
	if !emit(lines) || !follow || file == "" {
		return
	}
	// follow: poll the file for appended lines until the client goes away or
	// the container run ends (a newer run exists).
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
		var err error
		more, off, err = readLogLines(file, off)
		if err == nil && !emit(more) {
			return
		}
		if sv.st.currentRun(c, pod) != run {
			return
		}
	}
}
