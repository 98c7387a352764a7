package main

// The Typha stand-in: behaves as Calico Enterprise Typha is documented to for
// remote clusters (see /work/shared/calico-mesh.md). It authenticates to its
// own cluster as ServiceAccount calico-system/calico-typha, watches
// RemoteClusterConfigurations, reads each one's clusterAccessSecret, loads its
// kubeconfig with client-go and lists the remote cluster's resources, writing
// the documented logrus-style log lines and keeping the
// remote_cluster_connection_status gauge.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

// Gauge values of remote_cluster_connection_status (documented order).
const (
	stFailed     = 0
	stConnecting = 1
	stInSync     = 2
	stResync     = 3
	stRestart    = 4
	stIncomplete = 5
)

// ---- logrus-like logger -------------------------------------------------

var (
	logMu  sync.Mutex
	logPid = os.Getpid()
)

func tlog(level, file string, line int, msg string) {
	logMu.Lock()
	defer logMu.Unlock()
	fmt.Fprintf(os.Stdout, "%s [%s][%d] %s %d: %s\n",
		time.Now().UTC().Format("2006-01-02 15:04:05.000"), level, logPid, file, line, msg)
}

func quoteField(s string) string {
	if s == "" || strings.ContainsAny(s, " \"=\t") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

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

// ---- the stand-in -----------------------------------------------------------

type syncer struct {
	fp        string // fingerprint of the connection data it was created with
	routing   string
	core      kubernetes.Interface
	dyn       dynamic.Interface
	inSync    bool
	everSync  bool
	failSince time.Time
}

type link struct {
	name        string
	rccRV       string
	secretRV    string
	seenBefore  bool
	syncer      *syncer
	lastOutcome string
}

type typha struct {
	cluster   string
	local     kubernetes.Interface
	gauges    *gauges
	recheck   time.Duration
	lossDelay time.Duration
	links     map[string]*link
}

func cmdTypha(args []string) error {
	fs := flag.NewFlagSet("typha", flag.ContinueOnError)
	dir := fs.String("dir", "", "lab directory")
	clusterName := fs.String("cluster", "", "own cluster")
	pod := fs.String("pod", "", "own pod name")
	tokenFile := fs.String("token-file", "", "ServiceAccount token for calico-system/calico-typha")
	metrics := fs.String("metrics", "", "host:port for Prometheus metrics")
	recheck := fs.Duration("recheck", 3*time.Second, "re-check interval per link")
	lossDelay := fs.Duration("loss-delay", 5*time.Second, "how long a once-synced link must fail before it is reported")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// client-go's own klog output is not part of Typha's log format.
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)

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
	tlog("INFO", "daemon.go", 262, fmt.Sprintf("Typha starting up (lab stand-in) GOMAXPROCS=1 pod=%s cluster=%s", *pod, c.Name))
	tlog("INFO", "config.go", 241, "Loaded configuration from environment DatastoreType=kubernetes")

	// Own cluster, as the pod's ServiceAccount (never admin credentials).
	cfg := &rest.Config{
		Host:            st.apiURL(c),
		BearerToken:     strings.TrimSpace(string(tok)),
		TLSClientConfig: rest.TLSClientConfig{CAFile: st.pki(c, "ca.crt")},
		UserAgent:       "calico-typha-lab/" + *pod,
		QPS:             50, Burst: 100, Timeout: 10 * time.Second,
	}
	local, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	t := &typha{cluster: c.Name, local: local, gauges: &gauges{v: map[string]int{}},
		recheck: *recheck, lossDelay: *lossDelay, links: map[string]*link{}}

	if *metrics != "" {
		go func() {
			mux := http.NewServeMux()
			mux.Handle("/metrics", t.gauges)
			if err := http.ListenAndServe(*metrics, mux); err != nil {
				tlog("WARNING", "daemon.go", 530, "Prometheus metrics server failed: "+err.Error())
			}
		}()
		tlog("INFO", "daemon.go", 522, "Starting Prometheus metrics server on "+*metrics)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		tlog("INFO", "daemon.go", 599, "Received shutdown signal, exiting.")
		os.Exit(0)
	}()

	factory := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	inf := factory.ForResource(rccGVR).Informer()
	kick := make(chan struct{}, 1)
	poke := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(interface{}) { poke() },
		UpdateFunc: func(interface{}, interface{}) { poke() },
		DeleteFunc: func(interface{}) { poke() },
	})
	inf.SetWatchErrorHandler(func(r *cache.Reflector, err error) {
		// Typha's own datastore connection; reported once per distinct error.
		t.noteLocalError(err)
	})
	go inf.Run(ctx.Done())
	tlog("INFO", "rccwatcher.go", 88, "Starting RemoteClusterConfiguration watcher")
	for !inf.HasSynced() {
		time.Sleep(100 * time.Millisecond)
	}
	tlog("INFO", "rccwatcher.go", 97, "RemoteClusterConfiguration watcher in sync")
	ticker := time.NewTicker(t.recheck)
	defer ticker.Stop()
	for {
		t.reconcile(ctx, inf.GetStore().List())
		select {
		case <-ticker.C:
		case <-kick:
		}
	}
}

var lastLocalErr string

func (t *typha) noteLocalError(err error) {
	if err == nil || err.Error() == lastLocalErr {
		return
	}
	lastLocalErr = err.Error()
	tlog("WARNING", "watchercache.go", 131, "Failed to perform list of current data during resync error="+quoteField(err.Error()))
}

func (t *typha) reconcile(ctx context.Context, objs []interface{}) {
	seen := map[string]bool{}
	var rccs []*unstructured.Unstructured
	for _, o := range objs {
		if u, ok := o.(*unstructured.Unstructured); ok {
			rccs = append(rccs, u)
		}
	}
	sort.Slice(rccs, func(i, j int) bool { return rccs[i].GetName() < rccs[j].GetName() })
	for _, u := range rccs {
		name := u.GetName()
		seen[name] = true
		ln := t.links[name]
		if ln == nil {
			ln = &link{name: name}
			t.links[name] = ln
		}
		t.handle(ctx, ln, u)
	}
	for name := range t.links {
		if !seen[name] {
			tlog("INFO", "rccwatcher.go", 233, "Handling delete RCC update remoteCluster="+quoteField(name))
			t.gauges.del(name)
			delete(t.links, name)
		}
	}
}

func (t *typha) setOutcome(ln *link, key string, status int, emit func()) {
	t.gauges.set(ln.name, status)
	if ln.lastOutcome == key {
		return
	}
	ln.lastOutcome = key
	emit()
}

// connData is what a link connects with.
type connData struct {
	restCfg *rest.Config
	fp      string
	routing string
}

type cfgErr struct {
	kind string // "secret", "invalid", "client", "transient"
	err  error
}

func (e *cfgErr) Error() string { return e.err.Error() }

func (t *typha) handle(ctx context.Context, ln *link, u *unstructured.Unstructured) {
	rid := fmt.Sprintf("RemoteClusterConfiguration(%s)", ln.name)
	cd, secretRV, cerr := t.resolve(ctx, u)
	if cerr != nil && cerr.kind == "transient" {
		return // own apiserver unreachable: keep the last state
	}
	// What the update is, in the words Typha uses: the first sight of an RCC
	// (or of its readable Secret) is a "new RCC".
	source := "new RCC"
	switch {
	case ln.seenBefore && ln.rccRV != u.GetResourceVersion():
		source = "updated RCC"
	case ln.secretRV != "" && secretRV != "" && ln.secretRV != secretRV:
		source = "updated secret"
	}
	ln.seenBefore = true
	ln.rccRV = u.GetResourceVersion()
	if secretRV != "" {
		ln.secretRV = secretRV
	}

	// A connected link whose connection data changed needs a process restart.
	if ln.syncer != nil && cd != nil && cd.fp != ln.syncer.fp {
		src := "updated secret"
		if cd.routing != ln.syncer.routing {
			src = "updated RCC"
		}
		t.gauges.set(ln.name, stRestart)
		tlog("WARNING", "rccwatcher.go", 310, fmt.Sprintf("Received %s. Restart process to pick up changes to the connection data. remoteCluster=%s", src, quoteField(ln.name)))
		time.Sleep(300 * time.Millisecond)
		os.Exit(129)
	}
	if cerr != nil && cerr.kind == "invalid" && ln.syncer != nil {
		// The secret changed into something invalid: connection data changed.
		t.gauges.set(ln.name, stRestart)
		tlog("WARNING", "rccwatcher.go", 310, fmt.Sprintf("Received updated secret. Restart process to pick up changes to the connection data. remoteCluster=%s", quoteField(ln.name)))
		time.Sleep(300 * time.Millisecond)
		os.Exit(129)
	}

	if cerr != nil {
		ln.syncer = nil
		switch cerr.kind {
		case "secret":
			t.setOutcome(ln, "secret:"+cerr.Error(), stIncomplete, func() {
				tlog("WARNING", "rccwatcher.go", 282, fmt.Sprintf("Received new RCC. Cluster access secret was not found or the inline datastore config was invalid error=%s remoteCluster=%s", quoteField(cerr.Error()), quoteField(ln.name)))
			})
		case "invalid":
			t.setOutcome(ln, "invalid:"+cerr.Error(), stIncomplete, func() {
				tlog("WARNING", "rccwatcher.go", 291, fmt.Sprintf("Received %s. Unable to get datastore config: %s", source, cerr.Error()))
			})
		case "client":
			t.setOutcome(ln, "client:"+cerr.Error(), stFailed, func() {
				tlog("WARNING", "remotecluster.go", 157, fmt.Sprintf("Could not connect to remote cluster. Will retry in 10s: %s %s", rid, cerr.Error()))
			})
		}
		return
	}

	if ln.syncer == nil {
		core, err := kubernetes.NewForConfig(cd.restCfg)
		var dyn dynamic.Interface
		if err == nil {
			dyn, err = dynamic.NewForConfig(cd.restCfg)
		}
		if err != nil {
			t.setOutcome(ln, "client:"+err.Error(), stFailed, func() {
				tlog("WARNING", "remotecluster.go", 157, fmt.Sprintf("Could not connect to remote cluster. Will retry in 10s: %s %s", rid, err.Error()))
			})
			return
		}
		ln.syncer = &syncer{fp: cd.fp, routing: cd.routing, core: core, dyn: dyn}
		t.gauges.set(ln.name, stConnecting)
		ln.lastOutcome = "connecting"
		tlog("INFO", "wrappedcallbacks.go", 464, "Creating syncer for "+rid)
	}
	s := ln.syncer
	err := listRemote(ctx, s)
	if err == nil {
		s.failSince = time.Time{}
		if !s.inSync {
			if s.everSync {
				t.gauges.set(ln.name, stResync)
			}
			s.inSync, s.everSync = true, true
		}
		t.setOutcome(ln, "insync", stInSync, func() {
			tlog("INFO", "wrappedcallbacks.go", 487, "Sending in-sync update for "+rid)
		})
		return
	}
	if s.everSync && s.inSync {
		// After a link once worked, loss is reported only after lossDelay
		// (real Typha: 600 s; the lab defaults it short).
		if s.failSince.IsZero() {
			s.failSince = time.Now()
		}
		if time.Since(s.failSince) < t.lossDelay {
			return
		}
		s.inSync = false
	}
	t.setOutcome(ln, "failed:"+err.Error(), stFailed, func() {
		tlog("WARNING", "watchersyncer.go", 171, "Connection to datastore has failed - signaling error to client.")
		tlog("INFO", "wrappedcallbacks.go", 501, fmt.Sprintf("Sending connection failed update for %s error=%s", rid, quoteField(err.Error())))
	})
}

// resolve turns an RCC into connection data, reading its Secret as
// calico-typha would.
func (t *typha) resolve(ctx context.Context, u *unstructured.Unstructured) (*connData, string, *cfgErr) {
	spec, _, _ := unstructured.NestedMap(u.Object, "spec")
	routing, _, _ := unstructured.NestedString(u.Object, "spec", "syncOptions", "overlayRoutingMode")
	var datastoreType string
	var kubeconfig []byte
	var rv string
	if ref, ok := spec["clusterAccessSecret"].(map[string]interface{}); ok {
		name, _ := ref["name"].(string)
		ns, _ := ref["namespace"].(string)
		kind, _ := ref["kind"].(string)
		if kind != "" && kind != "Secret" {
			return nil, "", &cfgErr{"invalid", fmt.Errorf("clusterAccessSecret kind %q is not supported", kind)}
		}
		if name == "" || ns == "" {
			return nil, "", &cfgErr{"secret", fmt.Errorf("clusterAccessSecret needs name and namespace")}
		}
		sec, err := t.readSecret(ctx, ns, name)
		if err != nil {
			if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
				return nil, "", &cfgErr{"secret", err}
			}
			return nil, "", &cfgErr{"transient", err}
		}
		rv = sec.ResourceVersion
		datastoreType = string(sec.Data["datastoreType"])
		kubeconfig = sec.Data["kubeconfig"]
		if datastoreType != "kubernetes" {
			if datastoreType == "" {
				return nil, rv, &cfgErr{"invalid", fmt.Errorf("secret %s/%s has no datastoreType (expected \"kubernetes\")", ns, name)}
			}
			return nil, rv, &cfgErr{"invalid", fmt.Errorf("secret %s/%s: datastoreType %q is not supported by the lab (expected \"kubernetes\")", ns, name, datastoreType)}
		}
		if len(kubeconfig) == 0 {
			return nil, rv, &cfgErr{"invalid", fmt.Errorf("secret %s/%s has no kubeconfig key", ns, name)}
		}
	} else {
		datastoreType, _ = spec["datastoreType"].(string)
		inline, _ := spec["kubeconfigInline"].(string)
		if datastoreType != "kubernetes" || inline == "" {
			return nil, "", &cfgErr{"secret", fmt.Errorf("no clusterAccessSecret and no usable inline kubernetes config (the lab supports kubeconfigInline)")}
		}
		kubeconfig = []byte(inline)
	}

	h := sha256.New()
	h.Write([]byte(datastoreType))
	h.Write([]byte{0})
	h.Write(kubeconfig)
	h.Write([]byte{0})
	h.Write([]byte(routing))
	fp := hex.EncodeToString(h.Sum(nil))

	kc, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return nil, rv, &cfgErr{"invalid", fmt.Errorf("failed to load kubeconfig: %v", err)}
	}
	if kc.CurrentContext == "" {
		return &connData{fp: fp, routing: routing}, rv, &cfgErr{"client", errors.New("invalid configuration: kubeconfig has no current-context")}
	}
	kctx, ok := kc.Contexts[kc.CurrentContext]
	if !ok {
		return &connData{fp: fp, routing: routing}, rv, &cfgErr{"client", fmt.Errorf("invalid configuration: context %q (current-context) not found", kc.CurrentContext)}
	}
	if ai, ok := kc.AuthInfos[kctx.AuthInfo]; ok {
		if ai.Exec != nil {
			return &connData{fp: fp, routing: routing}, rv, &cfgErr{"client", fmt.Errorf("user %q uses an exec credential plugin (%s), which does not exist inside the Typha container", kctx.AuthInfo, ai.Exec.Command)}
		}
		if ai.AuthProvider != nil {
			return &connData{fp: fp, routing: routing}, rv, &cfgErr{"client", fmt.Errorf("user %q uses auth-provider %q, which is not available inside the Typha container", kctx.AuthInfo, ai.AuthProvider.Name)}
		}
	}
	rc, err := clientcmd.NewDefaultClientConfig(*kc, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return &connData{fp: fp, routing: routing}, rv, &cfgErr{"client", err}
	}
	rc.Timeout = 10 * time.Second
	rc.UserAgent = "calico-typha-lab/remote-cluster-syncer"
	rc.QPS, rc.Burst = 50, 100
	return &connData{restCfg: rc, fp: fp, routing: routing}, rv, nil
}

// readSecret reads the Secret by name the way Typha's watcher does: a
// field-selected list and watch in the Secret's namespace (needs list+watch).
func (t *typha) readSecret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	opts := metav1.ListOptions{FieldSelector: "metadata.name=" + name}
	lst, err := t.local.CoreV1().Secrets(ns).List(ctx, opts)
	if err != nil {
		return nil, err
	}
	wopts := opts
	wopts.ResourceVersion = lst.ResourceVersion
	w, err := t.local.CoreV1().Secrets(ns).Watch(ctx, wopts)
	if err != nil {
		return nil, err
	}
	w.Stop()
	if len(lst.Items) == 0 {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
	}
	return &lst.Items[0], nil
}

var remoteCRDs = []schema.GroupVersionResource{hepGVR, ipamblkGVR, ippoolGVR}

// listRemote lists what Typha's remote syncer reads in the remote cluster.
func listRemote(ctx context.Context, s *syncer) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	opts := metav1.ListOptions{}
	core := s.core.CoreV1()
	calls := []func() error{
		func() error { _, err := core.Pods("").List(ctx, opts); return err },
		func() error { _, err := core.Namespaces().List(ctx, opts); return err },
		func() error { _, err := core.ServiceAccounts("").List(ctx, opts); return err },
		func() error { _, err := core.Services("").List(ctx, opts); return err },
		func() error { _, err := core.Endpoints("").List(ctx, opts); return err },
		func() error { _, err := core.Nodes().List(ctx, opts); return err },
	}
	for _, g := range remoteCRDs {
		g := g
		calls = append(calls, func() error { _, err := s.dyn.Resource(g).List(ctx, opts); return err })
	}
	for _, call := range calls {
		if err := call(); err != nil {
			return err
		}
	}
	return nil
}
