// Command lab starts and stops a local lab of real Kubernetes control planes
// (etcd, kube-apiserver, kube-controller-manager) on loopback, each with a
// Calico-Enterprise-like Typha stand-in, for meshctl's end-to-end tests.
//
// It shares no code with meshctl: it is the independent reference that catches
// meshctl's mistakes.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const usage = `usage: lab <command> [flags]

commands:
  up --clusters iad,pdx[,..] [--typha-replicas N] [--dir D] [--eks]
        [--typha-loss-delay 60s] [--typha-log-rate 12] [--typha-log-max-bytes 10485760]
        [--noncluster-typha] [--typha-secret-watch-timeout 0] [--typha-watch-timeout 0] [--bin-dir B]
        [--calico-api [x=]legacy|apiserver|v3crd|migrating,..] [--calico-apply-bug[=x,y]]
        [--migration-phase [x=]Pending|Migrating|Converged|Complete] [--calico-version x=3.24,..]
        [--license x=ok|missing|expired,..]
        [--pod-cidrs [x=]10.10.0.0/16,..] [--service-cidrs [x=]10.128.0.0/16,..]
        [--encap [x=]vxlan|ipip|none|wireguard,..] [--nodes N] [--node-names [x=]n1+n2,..]
        [--latency [x=]35ms,..]   one-way delay per apiserver through a delaying TCP front
                                  start the lab (idempotent); prints the kubeconfig path last
  down [--dir D]                  stop exactly the processes the lab started; remove its state
  status [--dir D]                show what runs
  stop-apiserver  --cluster X     fault hook: stop cluster X's kube-apiserver
  start-apiserver --cluster X     start it again (waits for /readyz)
  pause-apiserver  --cluster X    freeze cluster X's kube-apiserver (SIGSTOP): connections hang
  resume-apiserver --cluster X    let it go on (SIGCONT)
  slow-apiserver   --cluster X [--stopped 200ms] [--period 400ms] [--for 30s]
                                  foreground: SIGSTOP for --stopped of every --period, then SIGCONT
  stop-typha  --cluster X [--pod P]   stop cluster X's Typha stand-in(s) (log stops updating)
  start-typha --cluster X [--pod P]   start them again
  typha-chatter --cluster X [--pod P] --lines N
                                  running Typha stand-in(s) write N chatter lines now
  token-controller --cluster X off|on stop/start cluster X's kube-controller-manager
  pods --cluster X --prefix P [--namespace default] [--labels k=v,..] [--count 1] [--ready=true|false]
        [--ports name=port,..]    pods P-1..P-N bound to X's first node, Running, Ready (or not),
                                  pod IPs from X's IPPool; idempotent; --ready=false flips readiness

D defaults to $MESHCTL_LAB_DIR or /tmp/meshctl-lab.
`

// defaultLogRate: Typha chatter per minute (see README, "Chatter").
const defaultLogRate = 12

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "up":
		err = cmdUp(args)
	case "down":
		err = cmdDown(args)
	case "status":
		err = cmdStatus(args)
	case "stop-apiserver", "start-apiserver", "pause-apiserver", "resume-apiserver", "slow-apiserver",
		"stop-typha", "start-typha", "typha-chatter", "token-controller":
		err = cmdHook(cmd, args)
	case "pods":
		err = cmdPods(args)
	case "supervise":
		err = cmdSupervise(args)
	case "typha":
		err = cmdTypha(args)
	case "kube-controllers":
		err = cmdKC(args)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "lab: unknown command %q\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "lab %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

// parseInterleaved parses flags that may appear before or after positional
// arguments, returning the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func defaultDir() string {
	if d := os.Getenv("MESHCTL_LAB_DIR"); d != "" {
		return d
	}
	return "/tmp/meshctl-lab"
}

func absDir(d string) (string, error) {
	a, err := filepath.Abs(d)
	if err != nil {
		return "", err
	}
	return filepath.Clean(a), nil
}

func progress(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "lab: "+format+"\n", args...)
}

func cmdUp(args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	clusters := fs.String("clusters", "", "comma-separated cluster names (DNS-1123 labels)")
	replicas := fs.Int("typha-replicas", 1, "Typha pods per cluster (1-3)")
	dir := fs.String("dir", defaultDir(), "lab directory")
	eks := fs.Bool("eks", false, "also write kubeconfig-eks with EKS ARN-style cluster names")
	binDir := fs.String("bin-dir", os.Getenv("MESHCTL_LAB_BIN_DIR"), "directory with etcd, kube-apiserver, kube-controller-manager (default: build/cache via build-binaries.sh)")
	recheck := fs.Duration("typha-recheck", 3*time.Second, "accepted for compatibility; the stand-ins now watch instead of polling")
	lossDelay := fs.Duration("typha-loss-delay", 60*time.Second, "loss timeout: how long after its last successful List a failing resource is reported (Enterprise snapshot: effectively 600s)")
	logRate := fs.Float64("typha-log-rate", defaultLogRate, "Typha chatter, lines per minute (0 = quiet)")
	logMax := fs.Int64("typha-log-max-bytes", 10<<20, "cap of a container's current log file; older lines are rotated away (0 = no cap)")
	nonCluster := fs.Bool("noncluster-typha", false, "also run Deployment calico-typha-noncluster-host (one pod)")
	secretWatchT := fs.Duration("typha-secret-watch-timeout", 0, "timeout of the stand-ins' Secret informer watch (0 = client-go's 5-10 min)")
	watchT := fs.Duration("typha-watch-timeout", 0, "timeout the stand-ins ask for their remote watches (0 = none: the apiserver's default, 30-60 min)")
	calicoAPI := fs.String("calico-api", "", "Calico API mode per cluster: x=legacy|apiserver|v3crd|migrating,... (a bare value: every cluster not named; default legacy)")
	var applyBug applyBugFlag
	fs.Var(&applyBug, "calico-apply-bug", "the Calico API server answers server-side apply 500 (every apiserver/migrating cluster, or =x,y)")
	phase := fs.String("migration-phase", "", "DatastoreMigration phase of migrating clusters: [x=]Pending|Migrating|Converged|Complete (default Migrating)")
	calicoVersion := fs.String("calico-version", "", "Enterprise version per cluster: x=3.24,... (default: legacy/apiserver 3.22, migrating 3.23, v3crd 3.24)")
	license := fs.String("license", "", "licence per cluster: x=ok|missing|expired,... (default ok)")
	var dp dataPlaneFlags
	fs.StringVar(&dp.podCIDRs, "pod-cidrs", "", "IPPool CIDR per cluster: x=10.10.0.0/16,... (default 10.(10+i).0.0/16 for the i-th cluster)")
	fs.StringVar(&dp.serviceCIDRs, "service-cidrs", "", "service CIDR per cluster: x=10.96.0.0/16,... (default 10.(128+i).0.0/16)")
	fs.StringVar(&dp.encap, "encap", "", "encapsulation per cluster: x=vxlan|ipip|none|wireguard,... (a bare value: every cluster not named; default vxlan)")
	fs.IntVar(&dp.nodes, "nodes", 1, "Nodes per cluster, <cluster>-node-1..N (1-20)")
	fs.StringVar(&dp.nodeNames, "node-names", "", "node names per cluster: x=a+b,y=c,... ('+' between one cluster's nodes; overrides --nodes; the first one runs the pods)")
	latency := fs.String("latency", "", "one-way delay per cluster's apiserver: x=35ms,y=45ms,... (a bare value: every cluster not named; default 0 = no front)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *clusters == "" {
		return fmt.Errorf("--clusters is required")
	}
	var names []string
	seen := map[string]bool{}
	for _, n := range strings.Split(*clusters, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !isDNSLabel(n) {
			return fmt.Errorf("cluster name %q is not a DNS-1123 label", n)
		}
		if seen[n] {
			return fmt.Errorf("cluster %q given twice", n)
		}
		seen[n] = true
		names = append(names, n)
	}
	if len(names) == 0 {
		return fmt.Errorf("--clusters is empty")
	}
	if len(names) > 50 {
		return fmt.Errorf("at most 50 clusters")
	}
	if *logRate < 0 || *logMax < 0 || *lossDelay <= 0 {
		return fmt.Errorf("--typha-log-rate and --typha-log-max-bytes must be >= 0, --typha-loss-delay > 0")
	}
	if *replicas < 1 || *replicas > 5 {
		return fmt.Errorf("--typha-replicas must be 1..5")
	}
	dataPlanes, err := parseDataPlane(names, dp)
	if err != nil {
		return err
	}
	delays, err := parseLatency(names, *latency)
	if err != nil {
		return err
	}
	d, err := absDir(*dir)
	if err != nil {
		return err
	}
	return up(upOptions{
		Dir: d, Names: names, Replicas: *replicas, EKS: *eks, BinDir: *binDir,
		Recheck: *recheck, LossDelay: *lossDelay, LogRate: *logRate, LogMaxBytes: *logMax,
		NonCluster: *nonCluster, SecretWatchTimeout: *secretWatchT, WatchTimeout: *watchT,
		Flavours:   flavourFlags{api: *calicoAPI, applyBug: applyBug.v, phase: *phase, version: *calicoVersion, license: *license},
		DataPlanes: dataPlanes, Latency: delays, LatencyGiven: *latency != "",
	})
}

func isDNSLabel(s string) bool { return isDNSLabelN(s, 40) }

func cmdDown(args []string) error {
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	dir := fs.String("dir", defaultDir(), "lab directory")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	d, err := absDir(*dir)
	if err != nil {
		return err
	}
	return down(d)
}

func cmdStatus(args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	dir := fs.String("dir", defaultDir(), "lab directory")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	d, err := absDir(*dir)
	if err != nil {
		return err
	}
	return status(d)
}

func cmdHook(cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	dir := fs.String("dir", defaultDir(), "lab directory")
	cluster := fs.String("cluster", "", "cluster name")
	pod := fs.String("pod", "", "one Typha pod (default: all of the cluster's)")
	lines := fs.Int("lines", 0, "typha-chatter: how many lines")
	stopped := fs.Duration("stopped", 200*time.Millisecond, "slow-apiserver: how long each stop lasts")
	period := fs.Duration("period", 400*time.Millisecond, "slow-apiserver: one stop every period")
	total := fs.Duration("for", 30*time.Second, "slow-apiserver: how long to keep slowing")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	st, c, err := labCluster(*dir, *cluster)
	if err != nil {
		return err
	}
	switch cmd {
	case "stop-apiserver":
		return stopComponent(st, c, "kube-apiserver")
	case "start-apiserver":
		return startAPIServer(st, c)
	case "pause-apiserver":
		return pauseAPIServer(st, c)
	case "resume-apiserver":
		return resumeAPIServer(st, c)
	case "slow-apiserver":
		return slowAPIServer(st, c, *stopped, *period, *total)
	case "stop-typha":
		return stopTypha(st, c, *pod)
	case "start-typha":
		return startTypha(st, c, *pod)
	case "typha-chatter":
		return typhaChatter(st, c, *pod, *lines)
	case "token-controller":
		if len(pos) != 1 || (pos[0] != "on" && pos[0] != "off") {
			return fmt.Errorf("usage: token-controller --cluster X off|on")
		}
		if pos[0] == "off" {
			if err := os.WriteFile(st.path(c, "kcm.off"), []byte("off\n"), 0o644); err != nil {
				return err
			}
			return stopComponent(st, c, "kube-controller-manager")
		}
		os.Remove(st.path(c, "kcm.off"))
		return startKCM(st, c)
	}
	return nil
}

// labCluster loads the lab in dir and finds one of its clusters by name.
func labCluster(dir, name string) (*State, *Cluster, error) {
	d, err := absDir(dir)
	if err != nil {
		return nil, nil, err
	}
	st, err := loadState(d)
	if err != nil {
		return nil, nil, err
	}
	c := st.cluster(name)
	if c == nil {
		return nil, nil, fmt.Errorf("--cluster %q is not in the lab (clusters: %s)", name, strings.Join(st.names(), ","))
	}
	return st, c, nil
}
