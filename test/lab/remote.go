package main

// The remote-cluster machinery shared by the Typha and calico-kube-controllers
// stand-ins, written from the facts in /work/notes/typha-facts.md (never from
// Calico's code): RCC handling ("wrappedcallbacks"), the Secret watcher, and
// one watcher syncer per remote with one watcher cache per resource type,
// each doing List and then Watch with the RCC's stored credential.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
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

var statusName = map[int]string{
	stFailed: "ConnectionFailed", stConnecting: "Connecting", stInSync: "InSync",
	stResync: "ResyncInProgress", stRestart: "ConfigChangeRestartRequired", stIncomplete: "ConfigIncomplete",
}

const (
	listRetryInterval = 1 * time.Second        // ListRetryInterval
	minResyncInterval = 500 * time.Millisecond // between watch (re)creation attempts
	maxErrorsPerRev   = 5                      // MaxErrorsPerRevision
	clientRetry       = 10 * time.Second       // "Will retry in 10s"
	requestTimeout    = 10 * time.Second       // one List page / watch creation
	missingAPIRetry   = 30 * time.Second       // List again after a 404 (lab's value)
	wcFile            = "wrappedcallbacks.go"
	wsFile            = "watchersyncer.go"
	wccFile           = "watchercache.go"
)

const lrPrefix = "/calico/resources/v3/projectcalico.org/"

// resource is one watcher cache: a ListRoot and the Kubernetes resources
// behind it (a Profile is namespaces + serviceaccounts).
type resource struct {
	listRoot string
	gvrs     []schema.GroupVersionResource
}

var (
	gvrPods   = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	gvrNS     = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	gvrSA     = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	gvrNodes  = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
	gvrSvc    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	gvrEps    = schema.GroupVersionResource{Version: "v1", Resource: "endpoints"}
	typhaBase = []resource{
		{lrPrefix + "workloadendpoints", []schema.GroupVersionResource{gvrPods}},
		{lrPrefix + "hostendpoints", []schema.GroupVersionResource{hepGVR}},
		{lrPrefix + "profiles", []schema.GroupVersionResource{gvrNS, gvrSA}},
	}
	typhaOverlay = []resource{
		{lrPrefix + "nodes", []schema.GroupVersionResource{gvrNodes}},
		{lrPrefix + "ippools", []schema.GroupVersionResource{ippoolGVR}},
		{"/calico/ipam/v2/assignment/", []schema.GroupVersionResource{ipamblkGVR}},
	}
	federationResources = []resource{
		{lrPrefix + "kubernetesservice", []schema.GroupVersionResource{gvrSvc}},
		{lrPrefix + "k8s-endpoints", []schema.GroupVersionResource{gvrEps}},
	}
)

type engineOpts struct {
	kc           bool // calico-kube-controllers flavour (federation syncer, status lines)
	local        kubernetes.Interface
	lossDelay    time.Duration
	userAgent    string
	secretWatchT time.Duration // 0: client-go's own watch timeout (5-10 min)
	watchT       time.Duration // remote watches; 0: none asked, the apiserver's default (30-60 min)
	alwaysV1     bool          // Enterprise <= 3.22: remote Calico resources always in crd.projectcalico.org/v1
	onRestart    func(rcc string)
	// fed receives the remote Services and Endpoints (kube-controllers'
	// federated-services controller); nil in Typha.
	fed *fedController
}

type engine struct {
	engineOpts
	log     *logger
	gauges  *gauges
	mu      sync.Mutex
	entries map[string]*entry
	secrets map[string]*secretWatch
	restart bool
	changed chan struct{} // a status changed (waitInitialRemotes)
}

type entry struct {
	name       string
	u          *unstructured.Unstructured
	secretKey  string // ns/name of the clusterAccessSecret, "" for inline config
	syncer     *rsyncer
	fp         string // fingerprint of the config the syncer was created with
	lastKind   string // last resolve outcome, to ignore Secret events that change nothing
	statusSent bool
	lastStatus int
	lastErr    string
}

type connCfg struct {
	kubeconfig []byte
	routing    string
	fp         string
}

func newEngine(o engineOpts, lg *logger, g *gauges) *engine {
	return &engine{engineOpts: o, log: lg, gauges: g, entries: map[string]*entry{}, secrets: map[string]*secretWatch{},
		changed: make(chan struct{}, 1)}
}

// waitInitialRemotes blocks until every remote syncer that exists now has
// sent its in-sync or a connection failure, or has gone (wrappedcallbacks:
// the local in-sync is passed on only once the remotes known at that time
// have had their chance to connect; a failure stops a remote from blocking).
func (e *engine) waitInitialRemotes() {
	e.mu.Lock()
	var waiting []*rsyncer
	for _, ent := range e.entries {
		if ent.syncer != nil {
			waiting = append(waiting, ent.syncer)
		}
	}
	e.mu.Unlock()
	for {
		e.mu.Lock()
		n := 0
		for _, s := range waiting {
			if s.alive() && !s.settled {
				n++
			}
		}
		e.mu.Unlock()
		if n == 0 {
			return
		}
		<-e.changed
	}
}

// deliver runs fn (a hand-over of remote data) with the engine lock held,
// only while s is still its entry's syncer: a stopped syncer's late events
// are dropped.
func (s *rsyncer) deliver(fn func(f *fedController)) {
	if s.e.fed == nil {
		return
	}
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if s.alive() {
		fn(s.e.fed)
	}
}

func rccKey(name string) string { return "RemoteClusterConfiguration(" + name + ")" }

// ---- status -----------------------------------------------------------------

func (e *engine) setStatus(ent *entry, st int, errS string) {
	e.gauges.set(ent.name, st)
	if e.kc && (!ent.statusSent || ent.lastStatus != st || ent.lastErr != errS) {
		e.log.info("fedderatedservices_controller.go", 398, "Remote cluster status update",
			F("Error", errS), F("Key", rawText("RemoteClusterStatus(name="+ent.name+")")), F("Status", statusName[st]))
	}
	ent.statusSent, ent.lastStatus, ent.lastErr = true, st, errS
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// ---- RCC events (called from the RCC informer) --------------------------------

func (e *engine) rccAdded(u *unstructured.Unstructured) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.restart {
		return
	}
	name := u.GetName()
	if ent := e.entries[name]; ent != nil { // a re-list: treat as modified
		e.rccModifiedLocked(ent, u)
		return
	}
	ent := &entry{name: name, u: u}
	e.entries[name] = ent
	k := F("Key", rawText(rccKey(name)))
	e.log.info(wcFile, 210, "Handling new RCC update", k)
	e.log.info(wcFile, 258, "Adding RCC to remotes "+rccKey(name), k)
	e.updateRCC(ent, "new RCC", k)
}

func (e *engine) rccModified(u *unstructured.Unstructured) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.restart {
		return
	}
	ent := e.entries[u.GetName()]
	if ent == nil {
		e.mu.Unlock()
		e.rccAdded(u)
		e.mu.Lock()
		return
	}
	e.rccModifiedLocked(ent, u)
}

func (e *engine) rccModifiedLocked(ent *entry, u *unstructured.Unstructured) {
	oldSpec, _, _ := unstructured.NestedMap(ent.u.Object, "spec")
	newSpec, _, _ := unstructured.NestedMap(u.Object, "spec")
	ent.u = u
	if reflect.DeepEqual(oldSpec, newSpec) {
		return // metadata only: the datastore config is the same, nothing is logged
	}
	e.updateRCC(ent, "modified RCC", F("Key", rawText(rccKey(ent.name))))
	e.gcSecrets()
}

func (e *engine) rccDeleted(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.restart {
		return
	}
	ent := e.entries[name]
	if ent == nil {
		return
	}
	e.log.info(wcFile, 233, "Handling delete RCC update", F("Key", rawText(rccKey(name))))
	if ent.syncer != nil {
		e.stopSyncer(ent)
	}
	e.log.info(wcFile, 395, "Deleting the status gauge for cluster: "+rccKey(name))
	e.gauges.del(name)
	if e.kc && ent.statusSent {
		e.log.info("fedderatedservices_controller.go", 391, "Remote cluster deleted",
			F("Key", rawText("RemoteClusterStatus(name="+name+")")))
	}
	delete(e.entries, name)
	e.gcSecrets()
}

// gcSecrets stops the informers of Secrets no RCC names any more (Typha's
// Secret watcher drops stale watches too).
func (e *engine) gcSecrets() {
	used := map[string]bool{}
	for _, ent := range e.entries {
		used[ent.secretKey] = true
	}
	for k, sw := range e.secrets {
		if !used[k] {
			close(sw.stop)
			delete(e.secrets, k)
		}
	}
}

// secretChanged is the Secret watcher's event: every RCC that names the Secret
// is re-evaluated ("Secret update"), its lines carry Namespace and Secret.
func (e *engine) secretChanged(ns, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.restart {
		return
	}
	key := ns + "/" + name
	var names []string
	for n, ent := range e.entries {
		if ent.secretKey == key {
			names = append(names, n)
		}
	}
	sortStrings(names)
	for _, n := range names {
		e.updateRCC(e.entries[n], "Secret update", F("Namespace", ns), F("Secret", name))
	}
}

// updateRCC decides what an event means for one RCC.
func (e *engine) updateRCC(ent *entry, src string, fs ...field) {
	cfg, kind, err := e.resolve(ent)
	outcome := kind
	if err != nil {
		outcome += ":" + err.Error()
	}
	if src == "Secret update" && kind != "ok" && outcome == ent.lastKind {
		return // the Secret changed in a way that changes nothing
	}
	ent.lastKind = outcome
	switch kind {
	case "missing":
		e.log.warn(wcFile, 281, "Received "+src+". Cluster access secret was not found or the inline datastore config was invalid", fs...)
		e.invalidate(ent, src, "", fs)
	case "invalid":
		e.log.warn(wcFile, 276, fmt.Sprintf("Received %s. Unable to get datastore config: %v", src, err), fs...)
		e.invalidate(ent, src, err.Error(), fs)
	default:
		if ent.syncer != nil {
			if cfg.fp == ent.fp {
				return // identical connection data: nothing logged
			}
			e.log.warn(wcFile, 318, "Received "+src+". Restart process to pick up changes to the connection data.", fs...)
			e.setStatus(ent, stRestart, "")
			if !e.restart {
				e.restart = true
				go e.onRestart(ent.name)
			}
			return
		}
		if src == "Secret update" {
			e.log.info(wcFile, 305, "Handling Secret update as a valid RCC", fs...)
		} else {
			e.log.info(wcFile, 296, "Handling modified RCC update as a new RCC", fs...)
		}
		e.createSyncer(ent, cfg)
	}
}

func (e *engine) invalidate(ent *entry, src, errS string, fs []field) {
	if ent.syncer != nil {
		e.log.info(wcFile, 311, "Handling "+src+" as invalidating remote cluster", fs...)
		e.stopSyncer(ent)
	}
	e.setStatus(ent, stIncomplete, errS)
}

// resolve turns an RCC into connection data, reading its Secret through the
// Secret watcher as Typha does.
func (e *engine) resolve(ent *entry) (*connCfg, string, error) {
	u := ent.u
	spec, _, _ := unstructured.NestedMap(u.Object, "spec")
	routing, _, _ := unstructured.NestedString(u.Object, "spec", "syncOptions", "overlayRoutingMode")
	var datastoreType string
	var kubeconfig []byte
	ent.secretKey = ""
	if ref, ok := spec["clusterAccessSecret"].(map[string]interface{}); ok {
		name, _ := ref["name"].(string)
		ns, _ := ref["namespace"].(string)
		kind, _ := ref["kind"].(string)
		if kind != "" && kind != "Secret" {
			return nil, "invalid", fmt.Errorf("clusterAccessSecret kind %q is not supported", kind)
		}
		if name == "" || ns == "" {
			return nil, "missing", nil
		}
		ent.secretKey = ns + "/" + name
		data, err := e.getSecretData(ns, name)
		if err != nil {
			return nil, "invalid", err
		}
		if data == nil {
			return nil, "missing", nil
		}
		datastoreType = string(data["datastoreType"])
		kubeconfig = data["kubeconfig"]
		if datastoreType != "kubernetes" {
			if datastoreType == "" {
				return nil, "invalid", fmt.Errorf("secret %s/%s has no datastoreType (expected \"kubernetes\")", ns, name)
			}
			return nil, "invalid", fmt.Errorf("secret %s/%s: datastoreType %q is not supported by the lab (expected \"kubernetes\")", ns, name, datastoreType)
		}
		if len(kubeconfig) == 0 {
			return nil, "invalid", fmt.Errorf("secret %s/%s has no kubeconfig key", ns, name)
		}
	} else {
		datastoreType, _ = spec["datastoreType"].(string)
		inline, _ := spec["kubeconfigInline"].(string)
		if datastoreType != "kubernetes" || inline == "" {
			return nil, "missing", nil
		}
		kubeconfig = []byte(inline)
	}
	if _, err := clientcmd.Load(kubeconfig); err != nil {
		return nil, "invalid", fmt.Errorf("failed to load kubeconfig: %v", err)
	}
	h := sha256.New()
	h.Write([]byte(datastoreType))
	h.Write([]byte{0})
	h.Write(kubeconfig)
	h.Write([]byte{0})
	h.Write([]byte(routing))
	return &connCfg{kubeconfig: kubeconfig, routing: routing, fp: hex.EncodeToString(h.Sum(nil))}, "ok", nil
}

// ---- Secret watcher ------------------------------------------------------------
//
// As Typha's: the first query of a Secret does a Get and starts a client-go
// informer on that one Secret (field selector metadata.name, so list and
// watch); later queries read the informer's copy, and re-Get only after an
// error. An informer keeps its copy when a re-list fails (e.g. the Role was
// deleted); its list/watch errors are logged by client-go itself (klog).

type secretWatch struct {
	secret *corev1.Secret
	err    error
	stop   chan struct{}
}

func (e *engine) getSecretData(ns, name string) (map[string][]byte, error) {
	key := ns + "/" + name
	sw := e.secrets[key]
	if sw == nil {
		sw = &secretWatch{stop: make(chan struct{})}
		e.secrets[key] = sw
		e.startSecretInformer(ns, name, sw)
		e.getSecret(ns, name, sw)
	} else if sw.err != nil {
		e.getSecret(ns, name, sw)
	}
	if sw.secret == nil {
		return nil, sw.err
	}
	return sw.secret.Data, nil
}

func (e *engine) getSecret(ns, name string, sw *secretWatch) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	s, err := e.local.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case err == nil:
		sw.secret, sw.err = s, nil
	case apierrors.IsNotFound(err):
		sw.secret, sw.err = nil, nil
	default:
		sw.secret, sw.err = nil, err
	}
}

func (e *engine) startSecretInformer(ns, name string, sw *secretWatch) {
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	wt := e.secretWatchT
	lw := &cache.ListWatch{
		ListFunc: func(o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return e.local.CoreV1().Secrets(ns).List(context.Background(), o)
		},
		WatchFunc: func(o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			if wt > 0 {
				s := int64(wt / time.Second)
				if s < 1 {
					s = 1
				}
				o.TimeoutSeconds = &s
			}
			return e.local.CoreV1().Secrets(ns).Watch(context.Background(), o)
		},
	}
	changed := func(s *corev1.Secret) {
		e.mu.Lock()
		same := false
		if s != nil && sw.secret != nil {
			same = s.ResourceVersion == sw.secret.ResourceVersion || reflect.DeepEqual(s.Data, sw.secret.Data)
		} else if s == nil && sw.secret == nil && sw.err == nil {
			same = true
		}
		sw.secret, sw.err = s, nil
		e.mu.Unlock()
		if !same {
			e.secretChanged(ns, name)
		}
	}
	_, ctrl := cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: lw,
		ObjectType:    &corev1.Secret{},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    func(o interface{}) { s, _ := o.(*corev1.Secret); changed(s) },
			UpdateFunc: func(_, o interface{}) { s, _ := o.(*corev1.Secret); changed(s) },
			DeleteFunc: func(interface{}) { changed(nil) },
		},
	})
	go ctrl.Run(sw.stop)
	// Safety net for the defect in README ("Known defect"): a replica's
	// informer has been seen to miss a deletion. Real Typha sees every change
	// of the Secret, so a Get every 2 s delivers what the informer missed.
	go func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-sw.stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			cur, err := e.local.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
			cancel()
			switch {
			case apierrors.IsNotFound(err):
				cur = nil
			case err != nil:
				continue
			}
			e.mu.Lock()
			known := sw.secret
			e.mu.Unlock()
			if (cur == nil) != (known == nil) || (cur != nil && cur.ResourceVersion != known.ResourceVersion) {
				changed(cur)
			}
		}
	}()
}

// ---- one remote: the watcher syncer ---------------------------------------------

type rsyncer struct {
	e      *engine
	ent    *entry
	key    string
	cfg    *connCfg
	ctx    context.Context
	cancel context.CancelFunc
	// guarded by e.mu
	nCaches, nSynced int
	resyncSent       bool
	inSyncSent       bool
	settled          bool // in sync or failed once: no longer holds up the first calculation
}

func (e *engine) createSyncer(ent *entry, cfg *connCfg) {
	e.setStatus(ent, stConnecting, "")
	ctx, cancel := context.WithCancel(context.Background())
	s := &rsyncer{e: e, ent: ent, key: rccKey(ent.name), cfg: cfg, ctx: ctx, cancel: cancel}
	ent.syncer, ent.fp = s, cfg.fp
	go s.run()
}

func (e *engine) stopSyncer(ent *entry) {
	s := ent.syncer
	k := rccKey(ent.name)
	e.log.info(wcFile, 367, "Stop syncer for "+k)
	s.cancel()
	if e.fed != nil {
		// The stopped watcher caches send deletions for everything they had.
		for _, r := range federationResources {
			e.fed.remoteDrop(ent.name, r.gvrs[0].Resource)
		}
	}
	e.log.info(wcFile, 373, "Close client for "+k)
	e.log.info(wcFile, 385, "Cancel remote context for "+k)
	ent.syncer = nil
}

// alive reports, with e.mu held, whether this syncer is still the entry's.
func (s *rsyncer) alive() bool { return s.ctx.Err() == nil && s.ent.syncer == s }

func (s *rsyncer) run() {
	var dyn dynamic.Interface
	var calicoGV schema.GroupVersion
	for {
		var err error
		dyn, calicoGV, err = s.e.remoteClient(s.cfg)
		if err == nil {
			break
		}
		s.e.mu.Lock()
		if !s.alive() {
			s.e.mu.Unlock()
			return
		}
		s.e.log.warn(wcFile, 440, fmt.Sprintf("Could not connect to remote cluster. Will retry in 10s: %s %v", s.key, err))
		s.connFailedLocked(err)
		s.e.mu.Unlock()
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(clientRetry):
		}
	}
	s.e.mu.Lock()
	if !s.alive() {
		s.e.log.info(wcFile, 455, "Abandoning creation of syncer for "+s.key)
		s.e.mu.Unlock()
		return
	}
	lg := s.e.log
	lg.info(wcFile, 461, "Creating syncer for "+s.key)
	res := federationResources
	if !s.e.kc {
		res = append([]resource(nil), typhaBase...)
		if s.cfg.routing == "Enabled" {
			res = append(res, typhaOverlay...)
		}
	}
	// The remote's Calico resources in the group picked when the client was made.
	for i := range res {
		var gs []schema.GroupVersionResource
		for _, g := range res[i].gvrs {
			if g.Group == crdGroup {
				g.Group, g.Version = calicoGV.Group, calicoGV.Version
			}
			gs = append(gs, g)
		}
		res[i].gvrs = gs
	}
	s.nCaches = len(res)
	lg.info(wsFile, 120, "Start called")
	lg.info(wsFile, 174, "Sending status update", F("Status", rawText("wait-for-ready")))
	lg.info(wsFile, 136, "Starting main event processing loop")
	s.e.mu.Unlock()
	for i, r := range res {
		wc := &wcache{s: s, idx: i, res: r, dyn: dyn, lg: lg}
		go wc.run()
	}
}

func (s *rsyncer) connFailedLocked(err error) {
	s.e.log.info(wcFile, 533, "Sending connection failed update for "+s.key, F("error", errText(err.Error())))
	s.settled = true
	s.e.setStatus(s.ent, stFailed, err.Error())
}

func (s *rsyncer) cacheSynced() {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if !s.alive() {
		return
	}
	lg := s.e.log
	if !s.resyncSent {
		s.resyncSent = true
		lg.info(wsFile, 174, "Sending status update", F("Status", rawText("resync")))
		s.e.setStatus(s.ent, stResync, "")
	}
	lg.info(wsFile, 210, "Received InSync event from one of the watcher caches")
	s.nSynced++
	if s.nSynced == s.nCaches && !s.inSyncSent {
		s.inSyncSent = true
		lg.info(wsFile, 225, "All watchers have sync'd data - sending data and final sync")
		lg.info(wsFile, 174, "Sending status update", F("Status", rawText("in-sync")))
		lg.info(wcFile, 501, "Sending in-sync update for "+s.key)
		s.settled = true
		s.e.setStatus(s.ent, stInSync, "")
	}
}

func (s *rsyncer) cacheFailed(err error) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if !s.alive() {
		return
	}
	s.connFailedLocked(err)
}

// remoteClient loads the kubeconfig with client-go, as Typha's k8s backend,
// and picks the API group of the remote's Calico resources once, as the
// source does when it makes a remote client: only projectcalico.org served
// there: projectcalico.org/v3; both groups (or neither): crd.projectcalico.org/v1;
// discovery failed: v1. Enterprise <= 3.22 always uses v1.
func (e *engine) remoteClient(cfg *connCfg) (dynamic.Interface, schema.GroupVersion, error) {
	dyn, rc, err := e.remoteClient1(cfg)
	if err != nil {
		return nil, schema.GroupVersion{}, err
	}
	gv := schema.GroupVersion{Group: crdGroup, Version: "v1"}
	if e.alwaysV1 {
		return dyn, gv, nil
	}
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return dyn, gv, nil
	}
	dc.LegacyPrefix = "/api"
	groups, err := dc.ServerGroups()
	if err != nil {
		return dyn, gv, nil
	}
	has := map[string]bool{}
	for _, g := range groups.Groups {
		has[g.Name] = true
	}
	if has[v3Group] && !has[crdGroup] {
		gv = schema.GroupVersion{Group: v3Group, Version: "v3"}
	}
	return dyn, gv, nil
}

func (e *engine) remoteClient1(cfg *connCfg) (dynamic.Interface, *rest.Config, error) {
	fail := func(err error) (dynamic.Interface, *rest.Config, error) { return nil, nil, err }
	kc, err := clientcmd.Load(cfg.kubeconfig)
	if err != nil {
		return fail(err)
	}
	if kc.CurrentContext == "" {
		return fail(errors.New("invalid configuration: kubeconfig has no current-context"))
	}
	kctx, ok := kc.Contexts[kc.CurrentContext]
	if !ok {
		return fail(fmt.Errorf("invalid configuration: context %q (current-context) not found", kc.CurrentContext))
	}
	if ai, ok := kc.AuthInfos[kctx.AuthInfo]; ok {
		if ai.Exec != nil {
			return fail(fmt.Errorf("user %q uses an exec credential plugin (%s), which does not exist inside the Typha container", kctx.AuthInfo, ai.Exec.Command))
		}
		if ai.AuthProvider != nil {
			return fail(fmt.Errorf("user %q uses auth-provider %q, which is not available inside the Typha container", kctx.AuthInfo, ai.AuthProvider.Name))
		}
	}
	rc, err := clientcmd.NewDefaultClientConfig(*kc, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return fail(err)
	}
	rc.UserAgent = e.userAgent + "/remote-cluster-syncer"
	rc.WarningHandler = rest.NoWarnings{}
	rc.QPS, rc.Burst = 50, 100
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return fail(err)
	}
	rc2 := rest.CopyConfig(rc) // for discovery only: watches must not time out
	rc2.Timeout = requestTimeout
	return dyn, rc2, nil
}

// ---- one resource type: the watcher cache -------------------------------------------

type wcache struct {
	s   *rsyncer
	idx int
	res resource
	dyn dynamic.Interface
	lg  *logger

	revs      []string
	lastList  time.Time // last successful List: the loss timer runs from here
	hasSynced bool
	errCount  int
}

func (w *wcache) lr() field { return F("ListRoot", w.res.listRoot) }

func (w *wcache) sleep(d time.Duration) bool {
	select {
	case <-w.s.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func (w *wcache) lostTooLong() bool {
	return w.lastList.IsZero() || time.Since(w.lastList) > w.s.e.lossDelay
}

func (w *wcache) signal(err error) {
	w.lg.warn(wccFile, 279, "Connection to datastore has failed - signaling error to client.", w.lr())
	w.s.cacheFailed(err)
}

func (w *wcache) run() {
	ctx := w.s.ctx
	fullResync := true
	blockedUntil := time.Time{}
	for ctx.Err() == nil {
		if d := time.Until(blockedUntil); d > 0 && !w.sleep(d) {
			return
		}
		blockedUntil = time.Now().Add(minResyncInterval)
		if fullResync {
			w.lg.info(wccFile, 226, "Full resync is required", w.lr())
			err := w.list(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil && apierrors.IsNotFound(err) {
				// The resource type is not served by the remote (e.g. a
				// v1 reader of a v3-only cluster): counted as synced, the
				// connection as good, and listed again much later.
				w.lg.info(wccFile, 236, "Backing API not installed, marking as in-sync and retrying later.", w.lr())
				w.lastList = time.Now()
				if !w.hasSynced {
					w.hasSynced = true
					w.s.cacheSynced()
				}
				blockedUntil = time.Now().Add(missingAPIRetry)
				continue
			}
			if err != nil {
				w.lg.info(wccFile, 241, "Failed to perform list of current data during resync", w.lr(), F("error", errText(err.Error())))
				if w.lostTooLong() {
					w.signal(err)
					if w.s.e.fed != nil {
						// The federation syncer's caches send deletions on
						// a connection failure (SendDeletesOnConnFail).
						w.lg.info(wccFile, 289, "connection failed, sending deletion events for all resources.", w.lr())
						for _, g := range w.res.gvrs {
							res := g.Resource
							w.s.deliver(func(f *fedController) { f.remoteDrop(w.s.ent.name, res) })
						}
					}
				}
				blockedUntil = time.Now().Add(listRetryInterval)
				continue
			}
			w.lastList = time.Now()
			w.errCount = 0
			fullResync = false
			if !w.hasSynced {
				w.hasSynced = true
				w.lg.info(wccFile, 409, "Sending synced update", w.lr())
				w.s.cacheSynced()
			}
		}
		ws, err := w.watch(ctx)
		if ctx.Err() != nil {
			stopAll(ws)
			return
		}
		if err != nil {
			switch {
			case apierrors.IsResourceExpired(err) || apierrors.IsGone(err):
				w.lg.info(wccFile, 312, "Watch has expired, queueing full resync.", w.lr())
				fullResync = true
			case utilnet.IsConnectionRefused(err) || apierrors.IsTooManyRequests(err):
				if w.lostTooLong() {
					w.lg.warn(wccFile, 322, "Timed out waiting for connection to be restored, forcing a resync.", w.lr(), F("error", errText(err.Error())))
					fullResync = true
				}
				w.lg.warn(wccFile, 325, "API server refused connection, will retry.", w.lr(), F("error", errText(err.Error())))
			default:
				w.errCount++
				w.lg.warn(wccFile, 344, "Failed to create watcher; will retry.", w.lr(), F("error", errText(err.Error())),
					F("errorsWithoutProgress", w.errCount), F("performFullResync", fullResync))
				if w.errCount >= maxErrorsPerRev {
					fullResync = true
					// Lab rule: a watch the remote refuses (401/403, e.g. a
					// ClusterRole without "watch") fails the link, although
					// each List still succeeds.
					if isUnauthorized(err) {
						w.signal(err)
					}
				}
			}
			continue
		}
		fullResync = w.readWatch(ctx, ws) || fullResync
	}
}

func (w *wcache) list(ctx context.Context) error {
	revs := make([]string, len(w.res.gvrs))
	items := make([][]unstructured.Unstructured, len(w.res.gvrs))
	for i, g := range w.res.gvrs {
		opts := metav1.ListOptions{Limit: 500}
		for {
			lctx, cancel := context.WithTimeout(ctx, requestTimeout)
			l, err := w.dyn.Resource(g).List(lctx, opts)
			cancel()
			if err != nil {
				return calicoErr(err)
			}
			if w.s.e.fed != nil {
				items[i] = append(items[i], l.Items...)
			}
			revs[i] = l.GetResourceVersion()
			if l.GetContinue() == "" {
				break
			}
			opts.Continue = l.GetContinue()
		}
	}
	w.revs = revs
	for i, g := range w.res.gvrs {
		res, its := g.Resource, items[i]
		w.s.deliver(func(f *fedController) { f.remoteReplace(w.s.ent.name, res, its) })
	}
	return nil
}

// unauthorizedErr: Calico's k8s backend turns a 401/403 into its
// ErrorConnectionUnauthorized, whose text is "connection is unauthorized: <err>".
type unauthorizedErr struct{ err error }

func (u unauthorizedErr) Error() string { return "connection is unauthorized: " + u.err.Error() }
func (u unauthorizedErr) Unwrap() error { return u.err }

func calicoErr(err error) error {
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		return unauthorizedErr{err}
	}
	return err
}

func isUnauthorized(err error) bool {
	var u unauthorizedErr
	return errors.As(err, &u)
}

func stopAll(ws []watch.Interface) {
	for _, x := range ws {
		if x != nil {
			x.Stop()
		}
	}
}

// watch opens one watch per Kubernetes resource behind this cache, from the
// revisions of the last List or event. Creating it may take at most
// requestTimeout; once open it lasts until the server ends it (5-10 min).
func (w *wcache) watch(ctx context.Context) ([]watch.Interface, error) {
	var ws []watch.Interface
	for i, g := range w.res.gvrs {
		opts := metav1.ListOptions{ResourceVersion: w.revs[i], AllowWatchBookmarks: true}
		if t := w.s.e.watchT; t > 0 {
			secs := int64(t/time.Second) + rand.Int63n(int64(t/time.Second)/5+1)
			if secs < 1 {
				secs = 1
			}
			opts.TimeoutSeconds = &secs
		}
		wctx, wcancel := context.WithCancel(ctx)
		t := time.AfterFunc(requestTimeout, wcancel)
		x, err := w.dyn.Resource(g).Watch(wctx, opts)
		if !t.Stop() && err == nil {
			err = context.DeadlineExceeded
			x.Stop()
		}
		if err != nil {
			wcancel()
			stopAll(ws)
			return nil, calicoErr(err)
		}
		ws = append(ws, &cancelWatch{x, wcancel})
	}
	return ws, nil
}

type cancelWatch struct {
	watch.Interface
	cancel context.CancelFunc
}

func (c *cancelWatch) Stop() { c.Interface.Stop(); c.cancel() }

type tagged struct {
	i  int
	ev watch.Event
	ok bool
}

// readWatch consumes events until a watch ends; it returns true when a full
// resync is needed.
func (w *wcache) readWatch(ctx context.Context, ws []watch.Interface) bool {
	defer stopAll(ws)
	ch := make(chan tagged)
	done := make(chan struct{})
	defer close(done)
	for i, x := range ws {
		go func(i int, x watch.Interface) {
			for ev := range x.ResultChan() {
				select {
				case ch <- tagged{i, ev, true}:
				case <-done:
					return
				}
			}
			select {
			case ch <- tagged{i: i}:
			case <-done:
			}
		}(i, x)
	}
	for {
		var t tagged
		select {
		case <-ctx.Done():
			return false
		case t = <-ch:
		}
		if !t.ok {
			return false // closed by the server or the connection: re-create the watch
		}
		switch t.ev.Type {
		case watch.Added, watch.Modified, watch.Deleted, watch.Bookmark:
			if o, ok := t.ev.Object.(metav1.Object); ok && o.GetResourceVersion() != "" {
				w.revs[t.i] = o.GetResourceVersion()
			}
			if u, ok := t.ev.Object.(*unstructured.Unstructured); ok && t.ev.Type != watch.Bookmark {
				res, del := w.res.gvrs[t.i].Resource, t.ev.Type == watch.Deleted
				w.s.deliver(func(f *fedController) { f.remoteEvent(w.s.ent.name, res, del, u) })
			}
			w.errCount = 0
		case watch.Error:
			err := apierrors.FromObject(t.ev.Object)
			w.lg.info(wccFile, 184, "Watch of resource finished. Attempting to restart it...", w.lr(),
				F("event", rawText("Error:"+err.Error())))
			if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				return true
			}
			w.errCount++
			return w.errCount >= maxErrorsPerRev
		}
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
