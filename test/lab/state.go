package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Cluster is one simulated cluster's fixed facts, recorded in state.json.
type Cluster struct {
	Name         string `json:"name"`
	Index        int    `json:"index"`
	NodeName     string `json:"nodeName"`
	NodeIP       string `json:"nodeIP"` // 127.0.0.N, the fake kubelet listens on NodeIP:10250
	EtcdPort     int    `json:"etcdPort"`
	EtcdPeerPort int    `json:"etcdPeerPort"`
	APIPort      int    `json:"apiPort"`
	PodCIDR      string `json:"ippoolCIDR"`
	// Data plane (dataplane.go). NodeName is NodeNames[0], the node with the
	// fake kubelet and the stand-in pods. Empty = the pre-issue-14 shape
	// (service CIDR 10.96.0.0/16, vxlan, one node).
	ServiceCIDR  string   `json:"serviceCIDR,omitempty"`
	Encap        string   `json:"encap,omitempty"`
	NodeNames    []string `json:"nodeNames,omitempty"`
	TyphaPods    []string `json:"typhaPods"`
	MetricsPorts []int    `json:"metricsPorts"` // per Typha pod, on NodeIP
	// --noncluster-typha: Deployment calico-typha-noncluster-host (one pod).
	NonClusterPods         []string `json:"nonClusterTyphaPods,omitempty"`
	NonClusterMetricsPorts []int    `json:"nonClusterMetricsPorts,omitempty"`
	KCPod                  string   `json:"kubeControllersPod,omitempty"`
	Ready                  bool     `json:"ready"` // all objects created
	// Calico flavour (flavour.go): API mode, apply bug, migration phase,
	// Enterprise version, licence. Empty = the defaults (legacy shape, ok licence).
	CalicoAPI      string `json:"calicoAPI,omitempty"`
	ApplyBug       bool   `json:"calicoApplyBug,omitempty"`
	MigrationPhase string `json:"migrationPhase,omitempty"`
	CalicoVersion  string `json:"calicoVersion,omitempty"`
	License        string `json:"license,omitempty"`
	// CalicoAPIPort: the lab's Calico API server / licence webhook on NodeIP (0 = none).
	CalicoAPIPort int `json:"calicoAPIPort,omitempty"`
	// WAN latency (latency.go): one-way delay of every connection through the
	// front on 127.0.0.1:FrontPort (0 = no delay, no front).
	Latency   string `json:"latency,omitempty"`
	FrontPort int    `json:"frontPort,omitempty"`
}

// podInfo is one pod the supervisor runs a stand-in process for.
type podInfo struct {
	Name       string
	Deployment string
	Container  string
	SA         string
	Kind       string // "typha" or "kube-controllers"
	Metrics    int    // port on NodeIP, 0 = none
}

const (
	depTypha      = "calico-typha"
	depNonCluster = "calico-typha-noncluster-host"
	depKC         = "calico-kube-controllers"
)

// typhaPods: the pods that run a Typha stand-in (both Deployments).
func (c *Cluster) typhaPods() []podInfo {
	var out []podInfo
	for i, p := range c.TyphaPods {
		out = append(out, podInfo{p, depTypha, "calico-typha", "calico-typha", "typha", c.MetricsPorts[i]})
	}
	for i, p := range c.NonClusterPods {
		out = append(out, podInfo{p, depNonCluster, "calico-typha", "calico-typha", "typha", c.NonClusterMetricsPorts[i]})
	}
	return out
}

// pods: every stand-in pod of the cluster.
func (c *Cluster) pods() []podInfo {
	out := c.typhaPods()
	if c.KCPod != "" {
		out = append(out, podInfo{c.KCPod, depKC, "calico-kube-controllers", "calico-kube-controllers", "kube-controllers", 0})
	}
	return out
}

func (c *Cluster) pod(name string) (podInfo, bool) {
	for _, p := range c.pods() {
		if p.Name == name {
			return p, true
		}
	}
	return podInfo{}, false
}

func (c *Cluster) deploymentPods(dep string) []podInfo {
	var out []podInfo
	for _, p := range c.pods() {
		if p.Deployment == dep {
			out = append(out, p)
		}
	}
	return out
}

// State is the lab's record of what it made; everything else is derived.
type State struct {
	Dir       string `json:"dir"`
	BinDir    string `json:"binDir"`
	Replicas  int    `json:"typhaReplicas"`
	EKS       bool   `json:"eks"`
	Recheck   string `json:"typhaRecheck"`
	LossDelay string `json:"typhaLossDelay"`
	// LogRate: Typha chatter, lines per minute (0 = quiet).
	LogRate float64 `json:"typhaLogRate"`
	// LogMaxBytes: cap of a container's current log file (0 = no cap).
	LogMaxBytes int64 `json:"typhaLogMaxBytes"`
	NonCluster  bool  `json:"nonClusterTypha,omitempty"`
	// SecretWatchTimeout: timeout of the stand-ins' Secret informer watch ("" = client-go's 5-10 min).
	SecretWatchTimeout string `json:"typhaSecretWatchTimeout,omitempty"`
	// WatchTimeout: timeout the stand-ins ask for their remote watches ("" = none: the apiserver's 30-60 min).
	WatchTimeout string     `json:"typhaWatchTimeout,omitempty"`
	Clusters     []*Cluster `json:"clusters"`
	Created      time.Time  `json:"created"`
}

const kubeletPort = 10250

func (s *State) cluster(name string) *Cluster {
	for _, c := range s.Clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (s *State) names() []string {
	var n []string
	for _, c := range s.Clusters {
		n = append(n, c.Name)
	}
	return n
}

func (s *State) cdir(c *Cluster) string { return filepath.Join(s.Dir, "clusters", c.Name) }
func (s *State) path(c *Cluster, parts ...string) string {
	return filepath.Join(append([]string{s.cdir(c)}, parts...)...)
}
func (s *State) pki(c *Cluster, f string) string { return s.path(c, "pki", f) }
func (s *State) apiURL(c *Cluster) string        { return fmt.Sprintf("https://127.0.0.1:%d", c.APIPort) }
func (s *State) kubeconfigPath() string          { return filepath.Join(s.Dir, "kubeconfig") }

// Each container run (process) of a pod logs to logs/<pod>/<run>.log, run
// 1, 2, ...; the fake kubelet serves the newest (and, for previous=true, the
// one before it).
func (s *State) runLog(c *Cluster, pod string, run int) string {
	return s.path(c, "logs", pod, strconv.Itoa(run)+".log")
}

// runs lists the container runs of a pod that have a log, oldest first.
func (s *State) runs(c *Cluster, pod string) []int {
	ents, _ := os.ReadDir(s.path(c, "logs", pod))
	var out []int
	for _, e := range ents {
		n := strings.TrimSuffix(e.Name(), ".log")
		if n == e.Name() {
			continue
		}
		if r, err := strconv.Atoi(n); err == nil && r > 0 {
			out = append(out, r)
		}
	}
	sort.Ints(out)
	return out
}

func (s *State) currentRun(c *Cluster, pod string) int {
	r := s.runs(c, pod)
	if len(r) == 0 {
		return 0
	}
	return r[len(r)-1]
}

// typhaLog is the current container's log file of a pod ("" if none yet).
func (s *State) typhaLog(c *Cluster, pod string) string {
	r := s.currentRun(c, pod)
	if r == 0 {
		return ""
	}
	return s.runLog(c, pod, r)
}

func statePath(dir string) string { return filepath.Join(dir, "state.json") }

func loadState(dir string) (*State, error) {
	b, err := os.ReadFile(statePath(dir))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("no lab in %s (run lab up first)", dir)
		}
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %v", statePath(dir), err)
	}
	s.Dir = dir
	return &s, nil
}

func (s *State) save() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath(s.Dir) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, statePath(s.Dir))
}

// --- processes -----------------------------------------------------------

// Pidfiles hold "PID STARTTIME": the start time (clock ticks since boot,
// field 22 of /proc/PID/stat) pins the process, because PIDs are reused
// quickly here (pid_max is 32768 on the lab machines, and a test run creates
// thousands of processes). Signalling a stale PID that now belongs to a fresh
// etcd or kube-apiserver killed it during start-up with an empty log.

// readPidfile returns the PID and start time recorded in file (0s if none;
// start 0 for an old pidfile without it).
func readPidfile(file string) (int, uint64) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, 0
	}
	p, _ := strconv.Atoi(f[0])
	var st uint64
	if len(f) > 1 {
		st, _ = strconv.ParseUint(f[1], 10, 64)
	}
	return p, st
}

// readPid returns the PID recorded in file, or 0.
func readPid(file string) int {
	p, _ := readPidfile(file)
	return p
}

// writePidfile records pid and its start time, atomically (a reader never
// sees a half-written file).
func writePidfile(file string, pid int) error {
	st, _ := procStart(pid)
	tmp := fmt.Sprintf("%s.tmp.%d", file, os.Getpid())
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d %d\n", pid, st)), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// procStat returns the fields of /proc/PID/stat after "(comm)": [0] is the
// state, [19] the start time.
func procStat(pid int) ([]string, bool) {
	if pid <= 0 {
		return nil, false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, false
	}
	f := strings.Fields(string(stat[i+1:]))
	return f, len(f) > 19
}

func procStart(pid int) (uint64, bool) {
	f, ok := procStat(pid)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(f[19], 10, 64)
	return v, err == nil
}

// ours reports whether pid is a live (non-zombie) process whose command line
// names marker (the lab directory) as a whole path: as an argument of its own
// or followed by "/" (so /tmp/meshctl-lab does not claim the processes of
// /tmp/meshctl-lab-acceptance.X). With the start time check in alive() this
// guards against PID reuse, so the lab only ever signals processes it started.
func ours(pid int, marker string) bool {
	if pid <= 0 {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	m := []byte(marker)
	found := false
	for rest := cmdline; ; {
		j := bytes.Index(rest, m)
		if j < 0 {
			break
		}
		after := rest[j+len(m):]
		before := j == 0 || rest[j-1] == 0 || rest[j-1] == '='

		if before && (len(after) == 0 || after[0] == 0 || after[0] == '/') {
			found = true
			break
		}
		rest = rest[j+1:]
	}
	if !found {
		return false
	}
	f, ok := procStat(pid)
	if !ok {
		return false
	}
	return f[0] != "Z" && f[0] != "X"
}

// alive reports whether the process recorded in pidfile runs: same PID, same
// start time, command line naming the lab directory. The command line is
// readable only once the process's execve has finished, which is why a
// pidfile is written only after awaitExec.
func (s *State) alive(pidfile string) (int, bool) {
	pid, start := readPidfile(pidfile)
	if !ours(pid, s.Dir) {
		return pid, false
	}
	if start != 0 {
		if st, ok := procStart(pid); !ok || st != start {
			return pid, false
		}
	}
	return pid, true
}

// startDetached starts a process in its own session, output appended to
// logfile, and records its PID in pidfile.
func startDetached(bin string, args []string, logfile, pidfile string, extraEnv ...string) (int, error) {
	lf, err := os.OpenFile(logfile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer lf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = devnull
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %v", bin, err)
	}
	pid := cmd.Process.Pid
	// Reap it in the background while this process lives; after we exit the
	// process is re-parented. How it ended is kept for start-up diagnostics.
	go func() {
		cmd.Wait()
		exitStatuses.Store(pid, cmd.ProcessState.String())
	}()
	if err := awaitExec(pid, 60*time.Second); err != nil {
		return pid, fmt.Errorf("start %s: %v", bin, err)
	}
	if err := writePidfile(pidfile, pid); err != nil {
		return pid, err
	}
	return pid, nil
}

// awaitExec waits until the kernel has finished exec'ing the new program in
// pid, i.e. until /proc/PID/cmdline shows its arguments, so that alive() and
// ours() can recognise it from the moment its pidfile exists.
//
// exec.Cmd.Start returns as soon as execve is past its point of no return
// (the vfork release and the close-on-exec of Go's status pipe happen as the
// old image is dropped), but the kernel fills in the new image's argument
// area only after it has mapped the ELF segments. Until then
// /proc/PID/cmdline reads as empty. When the binary is not in the page cache
// (first start after a boot or a build, memory pressure) that takes
// milliseconds: the child sits in state D faulting the binary in (5-10 ms
// measured for etcd and kube-apiserver). The lab's first alive() check comes
// about 1 ms after Start, so it used to find an empty command line, declare a
// running etcd or kube-apiserver "exited during start-up" with an empty log
// and no exit status (it had not exited, nor run an instruction of its own).
func awaitExec(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || len(cmdline) > 0 {
			return nil // gone (the caller finds it not alive), or exec'd
		}
		if f, ok := procStat(pid); !ok || f[0] == "Z" || f[0] == "X" {
			return nil // it ended; the reaper records how
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d has not finished exec'ing after %s", pid, timeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// exitStatuses: pid -> "exit status 1" / "signal: killed", for processes this
// lab process started and saw end.
var exitStatuses sync.Map

// howEnded says how a process this lab process started has ended: its wait
// status as the reaper recorded it (waiting up to wait for the reaper), or,
// if the reaper saw no end, what /proc shows of that PID now.
func howEnded(pid int, wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		if v, ok := exitStatuses.Load(pid); ok {
			return v.(string)
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	f, ok := procStat(pid)
	if !ok {
		return fmt.Sprintf("exit status unknown: pid %d is gone and was not reaped by this process", pid)
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return fmt.Sprintf("no exit seen in %s: pid %d is still there, state %s, start %s, cmdline %q",
		wait, pid, f[0], f[19], strings.ReplaceAll(string(cmdline), "\x00", " "))
}

// stopPid sends SIGTERM to a process of ours and waits for it to go,
// escalating to SIGKILL after the grace period. The process is pinned by its
// start time: a PID that meanwhile belongs to another process is left alone.
func (s *State) stopPid(pid int, grace time.Duration) {
	if !ours(pid, s.Dir) {
		return
	}
	start, ok := procStart(pid)
	if !ok {
		return
	}
	same := func() bool {
		st, ok := procStart(pid)
		return ok && st == start && ours(pid, s.Dir)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	// A process frozen by pause-apiserver acts on SIGTERM only once continued.
	syscall.Kill(pid, syscall.SIGCONT)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !same() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	if same() {
		syscall.Kill(pid, syscall.SIGKILL)
		for i := 0; i < 50 && same(); i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func (s *State) stopPidfile(pidfile string, grace time.Duration) {
	if pid, ok := s.alive(pidfile); ok {
		s.stopPid(pid, grace)
	}
	os.Remove(pidfile)
}

// --- ports ---------------------------------------------------------------

func portFree(ip string, port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.Atoi(f[1])
				return n
			}
		}
	}
	return 0
}

// --- ports and addresses shared between labs ------------------------------

// Labs on one machine share the loopback ports and addresses. A lab picks
// them all at its first up but binds them cluster by cluster over half a
// minute (the fake kubelets' and metrics ports last, when the supervisor
// starts), and a probe shows only what is bound now: two labs started
// together picked the same free blocks and one of them failed with "port ...
// is taken by another process". So allocation runs under a machine-wide lock
// and skips what any other registered lab has recorded in its state.json;
// up registers its directory before it lets go of the lock, down
// unregisters it. A registered directory without a state.json (removed by
// hand) claims nothing and its entry is dropped.
const claimsDir = "/tmp/meshctl-lab-claims"

// lockClaims takes the machine-wide allocation lock; the returned function
// releases it (so does the end of this process).
func lockClaims() (func(), error) {
	if err := os.MkdirAll(claimsDir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(claimsDir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %v", f.Name(), err)
	}
	return func() { f.Close() }, nil
}

func claimEntry(dir string) string {
	h := sha256.Sum256([]byte(dir))
	return filepath.Join(claimsDir, hex.EncodeToString(h[:8])+".lab")
}

// registerLab records dir as a lab whose state.json claims ports (call with
// the lock held).
func registerLab(dir string) error {
	if err := os.MkdirAll(claimsDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(claimEntry(dir), []byte(dir+"\n"), 0o644)
}

func unregisterLab(dir string) { os.Remove(claimEntry(dir)) }

// claims holds the 127.0.0.1 ports and node addresses of other labs.
type claims struct {
	ports map[int]string    // port -> lab dir
	ips   map[string]string // 127.0.0.N -> lab dir
}

// otherLabsClaims reads every registered lab but self (call with the lock held).
func otherLabsClaims(self string) claims {
	cl := claims{ports: map[int]string{}, ips: map[string]string{}}
	ents, _ := os.ReadDir(claimsDir)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".lab") {
			continue
		}
		entry := filepath.Join(claimsDir, e.Name())
		b, err := os.ReadFile(entry)
		if err != nil {
			continue
		}
		dir := strings.TrimSpace(string(b))
		if dir == self {
			continue
		}
		st, err := loadState(dir)
		if err != nil {
			if _, statErr := os.Stat(statePath(dir)); os.IsNotExist(statErr) {
				os.Remove(entry) // that lab is gone
			}
			continue
		}
		for _, c := range st.Clusters {
			for _, p := range []int{c.EtcdPort, c.EtcdPeerPort, c.APIPort, c.FrontPort} {
				if p != 0 {
					cl.ports[p] = dir
				}
			}
			cl.ips[c.NodeIP] = dir
		}
	}
	return cl
}
