package main

// The Typha and calico-kube-controllers stand-ins: one process per pod (one
// process = one container run), started by the supervisor as a kubelet would.
// Each authenticates to its own cluster as its pod's ServiceAccount, watches
// RemoteClusterConfigurations and runs the remote-cluster machinery in
// remote.go, writing the lines Enterprise Typha / kube-controllers write
// (formats and texts from /work/notes/typha-facts.md) and keeping the
// remote_cluster_connection_status gauge.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// ---- metrics ----------------------------------------------------------------

type gauges struct {
	mu sync.Mutex
	v  map[string]int
}

func (g *gauges) set(name string, v int) {
	g.mu.Lock()
	g.v[lower(name)] = v
	g.mu.Unlock()
}
func (g *gauges) del(name string) {
	g.mu.Lock()
	delete(g.v, lower(name))
	g.mu.Unlock()
}

func (g *gauges) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	io.WriteString(w, "# HELP remote_cluster_connection_status 0-NotConnecting ,1-Connecting, 2-InSync, 3-ReSyncInProgress, 4-ConfigChangeRestartRequired, 5-ConfigInComplete.\n")
	io.WriteString(w, "# TYPE remote_cluster_connection_status gauge\n")
	var names []string
	for n := range g.v {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "remote_cluster_connection_status{remote_cluster_name=%q} %d\n", n, g.v[n])
	}
}

// ---- the process ----------------------------------------------------------------

// restartDelay: real Typha exits about 3 s after "Restart signalled"; the lab
// exits after 300 ms so tests do not wait.
const restartDelay = 300 * time.Millisecond

// exitRestart is the exit code of a process that restarts itself for new
// connection data (the supervisor restarts it without back-off).
const exitRestart = 129

func cmdTypha(args []string) error { return runStandIn("typha", args) }
func cmdKC(args []string) error    { return runStandIn("kube-controllers", args) }

func runStandIn(kind string, args []string) error {
	fs := flag.NewFlagSet(kind, flag.ContinueOnError)
	dir := fs.String("dir", "", "lab directory")
	clusterName := fs.String("cluster", "", "own cluster")
	pod := fs.String("pod", "", "own pod name")
	sa := fs.String("sa", "calico-typha", "own ServiceAccount (calico-system)")
	tokenFile := fs.String("token-file", "", "ServiceAccount token")
	metrics := fs.String("metrics", "", "host:port for Prometheus metrics")
	fs.Duration("recheck", 0, "ignored (kept for old supervisors)")
	lossDelay := fs.Duration("loss-delay", 60*time.Second, "loss timeout of a once-listed resource")
	logRate := fs.Float64("log-rate", 0, "chatter lines per minute")
	chatterFile := fs.String("chatter-file", "", "control file: a number N here makes the process write N chatter lines now")
	secretWatchT := fs.Duration("secret-watch-timeout", 0, "timeout of the Secret informer's watch (0: client-go's 5-10 min)")
	watchT := fs.Duration("watch-timeout", 0, "timeout asked for remote watches (0: none, the apiserver's default 30-60 min)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// client-go's own messages (e.g. a reflector that may not list a Secret)
	// go to stderr in klog's format, as in any client-go program; the
	// supervisor writes stderr into the same container log.
	klog.LogToStderr(true)

	st, err := loadState(*dir)
	if err != nil {
		return err
	}
	c := st.cluster(*clusterName)
	if c == nil {
		return fmt.Errorf("no cluster %q", *clusterName)
	}
	tok, err := os.ReadFile(*tokenFile)
	if err != nil {
		return err
	}
	lg := newLogger(kind)
	ua := "calico-typha-lab/" + *pod
	if kind == "typha" {
		lg.info("daemon.go", 262, "Typha starting up", F("GOMAXPROCS", 2), F("buildDate", "lab"), F("gitCommit", "lab"), F("version", "lab-standin"))
		lg.info("config.go", 241, "Loaded configuration from environment")
	} else {
		ua = "calico-kube-controllers-lab/" + *pod
		lg.info("main.go", 128, "Loaded configuration from environment")
		if c.license() == licMissing {
			// The federated-services controller needs the licence feature
			// federated-services; without a licence it does not start (the
			// line is the lab's).
			lg.warn("main.go", 391, "Not starting controller: the license does not include the required feature",
				F("ControllerType", "FederatedServices"), F("feature", "federated-services"))
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
			<-sig
			return nil
		}
		lg.info("main.go", 397, "Starting controller", F("ControllerType", "FederatedServices"))
		lg.info("main.go", 973, "Started the FederatedServices controller")
		if c.license() == licExpired {
			// An expired licence still has the feature: the controller runs
			// (licensing/client ValidateFeature ignores expiry) with a warning.
			lg.warn("main.go", 987, "[LICENSE] FederatedServices controller running with expired license")
		}
	}

	cfg := &rest.Config{
		Host:            st.apiURL(c),
		BearerToken:     strings.TrimSpace(string(tok)),
		TLSClientConfig: rest.TLSClientConfig{CAFile: st.pki(c, "ca.crt")},
		UserAgent:       ua,
		QPS:             50, Burst: 100,
		// client-go's deprecation warnings (v1 Endpoints) are not Calico's lines.
		WarningHandler: rest.NoWarnings{},
	}
	_ = sa
	local, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	g := &gauges{v: map[string]int{}}
	if *metrics != "" {
		go func() {
			mux := http.NewServeMux()
			mux.Handle("/metrics", g)
			if err := http.ListenAndServe(*metrics, mux); err != nil {
				lg.warn("daemon.go", 530, "Prometheus metrics server failed", F("error", errText(err.Error())))
			}
		}()
		if kind == "typha" {
			lg.info("daemon.go", 522, "Starting Prometheus metrics server", F("addr", *metrics))
		}
	}

	var fed *fedController
	if kind == "kube-controllers" {
		fed = newFedController(lg, local)
	}
	eng := newEngine(engineOpts{kc: kind == "kube-controllers", local: local, lossDelay: *lossDelay,
		userAgent: ua, secretWatchT: *secretWatchT, watchT: *watchT,
		alwaysV1: versionMinor(c.version()) <= 22, fed: fed}, lg, g)
	eng.onRestart = func(rcc string) {
		if kind == "typha" {
			lg.warn("daemon.go", 421, "received remote cluster restart: RemoteClusterConfiguration ("+rcc+") changed, restart required")
			lg.warn("daemon.go", 441, "Restart signalled, shutting down")
		}
		time.Sleep(restartDelay)
		os.Exit(exitRestart)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		if kind == "typha" {
			lg.info("sync_server.go", 958, "Starting graceful shutdown...")
			lg.info("sync_server.go", 486, "Graceful shutdown triggered, closing listen socket.")
		}
		os.Exit(0)
	}()

	if kind == "typha" {
		ch := newChatter(lg, c.NodeIP, *logRate)
		go ch.run()
		if *chatterFile != "" {
			go ch.pollControl(*chatterFile)
		}
	}

	factory := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	// Typha's own datastore: the RCCs where its cluster stores them
	// (crd.projectcalico.org/v1 in API-server mode, else projectcalico.org/v3).
	inf := factory.ForResource(c.storageGVR("remoteclusterconfigurations")).Informer()
	inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(o interface{}) {
			if u, ok := o.(*unstructured.Unstructured); ok {
				eng.rccAdded(u)
			}
		},
		UpdateFunc: func(o, n interface{}) {
			ou, _ := o.(*unstructured.Unstructured)
			nu, ok := n.(*unstructured.Unstructured)
			if ok && (ou == nil || ou.GetResourceVersion() != nu.GetResourceVersion()) {
				eng.rccModified(nu)
			}
		},
		DeleteFunc: func(o interface{}) {
			if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = d.Obj
			}
			if u, ok := o.(*unstructured.Unstructured); ok {
				eng.rccDeleted(u.GetName())
			}
		},
	})
	var lastLocal string
	inf.SetWatchErrorHandler(func(r *cache.Reflector, err error) {
		// Typha's own datastore connection; reported once per distinct error.
		if err == nil || err.Error() == lastLocal {
			return
		}
		lastLocal = err.Error()
		lg.info(wccFile, 241, "Failed to perform list of current data during resync",
			F("ListRoot", lrPrefix+"remoteclusterconfigurations"), F("error", errText(err.Error())))
	})
	if fed != nil {
		fed.eng = eng
		go fed.run(inf.HasSynced)
	}
	inf.Run(context.Background().Done())
	return nil
}

// ---- chatter: lines real Typha writes that say nothing about remote clusters ----

type chatter struct {
	lg     *logger
	nodeIP string
	rate   float64
	mu     sync.Mutex
	connID uint64
	seq    int
	rnd    *rand.Rand
}

func newChatter(lg *logger, nodeIP string, rate float64) *chatter {
	return &chatter{lg: lg, nodeIP: nodeIP, rate: rate, connID: 0x20, rnd: rand.New(rand.NewSource(time.Now().UnixNano()))}
}

// Typha's own (local) resources: a watch restart of one of them.
var localListRoots = []string{
	lrPrefix + "workloadendpoints", lrPrefix + "nodes", lrPrefix + "profiles", lrPrefix + "networkpolicies",
	lrPrefix + "globalnetworkpolicies", lrPrefix + "hostendpoints", lrPrefix + "ippools",
	lrPrefix + "felixconfigurations", lrPrefix + "networksets", lrPrefix + "globalnetworksets",
	"/calico/ipam/v2/assignment/", lrPrefix + "kubernetesnetworkpolicies", lrPrefix + "bgpconfigurations",
}

type chatLine struct {
	file  string
	line  int
	msg   string
	field []field
}

// group returns the next burst of chatter: alternately a watch restart of a
// local resource (3 lines) and a Felix connection re-balanced away and
// re-established (10 lines).
func (c *chatter) group() []chatLine {
	c.seq++
	if c.seq%2 == 1 {
		lr := F("ListRoot", localListRoots[c.rnd.Intn(len(localListRoots))])
		rv := 100000 + c.rnd.Intn(900000)
		return []chatLine{
			{wccFile, 184, "Watch of resource finished. Attempting to restart it...", []field{lr,
				F("event", rawText(fmt.Sprintf("Error:too old resource version: %d (%d)", rv, rv+1000+c.rnd.Intn(5000))))}},
			{wccFile, 226, "Full resync is required", []field{lr}},
			{wccFile, 409, "Sending synced update", []field{lr}},
		}
	}
	oldID := c.connID
	c.connID++
	newID := c.connID
	oldCl := rawText(fmt.Sprintf("%s:%d", c.nodeIP, 32768+c.rnd.Intn(28000)))
	newCl := rawText(fmt.Sprintf("%s:%d", c.nodeIP, 32768+c.rnd.Intn(28000)))
	felix := F("type", rawText(`"felix"`))
	return []chatLine{
		{"sync_server.go", 611, "Closing connection; reason: re-balance load with other Typha instances.",
			[]field{F("connID", oldID), F("current", 4), F("max", 3), F("thread", "numConnsGov")}},
		{"sync_server.go", 690, "Client connection shutting down.", []field{F("client", oldCl), F("connID", oldID), felix}},
		{"sync_server.go", 858, "Read goroutine finished", []field{F("client", oldCl), F("connID", oldID), F("thread", "read"), felix}},
		{"sync_server.go", 795, "Stopping pong check ticker.", []field{F("client", oldCl), F("connID", oldID), felix}},
		{"sync_server.go", 703, "Client connection shut down.", []field{F("client", oldCl), F("connID", oldID), felix}},
		{"sync_server.go", 497, "Accepted from " + string(newCl), []field{F("port", 5473)}},
		{"sync_server.go", 507, "New connection", []field{F("connID", newID), F("port", 5473)}},
		{"sync_server.go", 707, "Per-connection goroutine started", []field{F("client", newCl), F("connID", newID)}},
		{"sync_server.go", 769, "Sending streamed snapshot.", []field{F("client", newCl), F("connID", newID), felix}},
		{"sync_server.go", 802, "Waiting for messages from client", []field{F("client", newCl), F("connID", newID), felix}},
	}
}

// write writes exactly n chatter lines (whole groups, the last one cut short).
func (c *chatter) write(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for n > 0 {
		for _, l := range c.group() {
			if n == 0 {
				break
			}
			c.lg.info(l.file, l.line, l.msg, l.field...)
			n--
		}
	}
}

// run writes whole groups at an average of rate lines per minute.
func (c *chatter) run() {
	if c.rate <= 0 {
		return
	}
	budget := 0.0
	var pending []chatLine
	for {
		time.Sleep(time.Second)
		budget += c.rate / 60
		c.mu.Lock()
		if pending == nil {
			pending = c.group()
		}
		if budget >= float64(len(pending)) {
			for _, l := range pending {
				c.lg.info(l.file, l.line, l.msg, l.field...)
			}
			budget -= float64(len(pending))
			pending = nil
		}
		c.mu.Unlock()
	}
}

// pollControl: `lab typha-chatter` writes a number into the control file;
// the process takes it (rename, read, remove) and writes that many lines.
func (c *chatter) pollControl(file string) {
	for {
		time.Sleep(200 * time.Millisecond)
		taken := file + ".taken"
		if err := os.Rename(file, taken); err != nil {
			continue
		}
		b, _ := os.ReadFile(taken)
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err == nil && n > 0 {
			c.write(n)
		}
		os.Remove(taken) // the hook waits for this: the lines are written
	}
}
