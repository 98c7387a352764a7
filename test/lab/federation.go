package main

// The federated-services controller of calico-kube-controllers, as a stand-in
// inside the kube-controllers process. Behaviour read in the Enterprise source
// (README, "Federated services", names each file); the code is the lab's own.
//
// It keeps every Service and v1 Endpoints of its own cluster (client-go
// informers: List+Watch) and of every remote cluster (the federation syncer's
// watcher caches in remote.go, with the RCC's stored credential). A local
// Service with the annotation federation.tigera.io/serviceSelector and no
// spec.selector is federated: its selector (Calico syntax), restricted to the
// Service's namespace, picks the backing Services (local and remote) that
// carry no such annotation; the controller writes the federated Service's
// core/v1 Endpoints from the backing Services' Endpoints, keeping only ports
// whose (name, protocol) the federated Service has, and prefixing remote
// targetRef names with "<rcc>/".

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

const (
	fedAnnotationPrefix   = "federation.tigera.io/"
	fedSelectorAnnotation = fedAnnotationPrefix + "serviceSelector"
	fedClusterLabel       = fedAnnotationPrefix + "remoteClusterName"
	calicoNamespaceLabel  = "projectcalico.org/namespace"
	fedFile               = "fedderatedservices_controller.go"
	// fedReconcilePeriod: the reconciler cache re-lists the federated
	// Endpoints and repairs differences (ReconcilerPeriod, default 5m).
	fedReconcilePeriod = 5 * time.Minute
)

// svcID names a Service (or its Endpoints) in a cluster; cluster "" is local.
type svcID struct{ cluster, ns, name string }

// ---- the pure parts -------------------------------------------------------------

type fedConfig struct {
	expr string
	sel  selector
}

// federationConfig: (nil, nil) for a Service without the annotation; an error
// when the Service also has a spec.selector or the expression does not parse.
// A Service with a config, even an erroneous one, is never a backing Service.
func federationConfig(s *corev1.Service) (*fedConfig, error) {
	expr, ok := s.Annotations[fedSelectorAnnotation]
	if !ok {
		return nil, nil
	}
	if len(s.Spec.Selector) != 0 {
		// The text (missing space included) is Calico's.
		return nil, fmt.Errorf("Spec.Selector is specified for a federated service: the Federated Services controller is" +
			"unable to manage and federate the service endpoints")
	}
	full := calicoNamespaceLabel + " == '" + s.Namespace + "'"
	if expr != "" {
		full += " && (" + expr + ")"
	}
	sel, err := parseSelector(full)
	if err != nil {
		return nil, fmt.Errorf("ServiceSelector expression '%s' in annotation '%s' is not valid: %s", expr, fedSelectorAnnotation, err)
	}
	return &fedConfig{expr: expr, sel: sel}, nil
}

// backingLabels: the labels a selector sees on a Service: its own, plus
// projectcalico.org/namespace and, for a remote one, federation.tigera.io/remoteClusterName.
func backingLabels(id svcID, s *corev1.Service) map[string]string {
	l := make(map[string]string, len(s.Labels)+2)
	for k, v := range s.Labels {
		l[k] = v
	}
	l[calicoNamespaceLabel] = id.ns
	if id.cluster != "" {
		l[fedClusterLabel] = id.cluster
	}
	return l
}

type portKey struct {
	name  string
	proto corev1.Protocol
}

func protoOrTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// federatedPorts: the (name, protocol) pairs of the federated Service. Port
// numbers play no part; an unnamed port ("") matches unnamed endpoint ports.
func federatedPorts(s *corev1.Service) map[portKey]bool {
	out := map[portKey]bool{}
	for _, p := range s.Spec.Ports {
		out[portKey{p.Name, protoOrTCP(p.Protocol)}] = true
	}
	return out
}

// remoteAddresses copies addresses of cluster's Endpoints, naming each
// targetRef "<cluster>/<name>" (only when there is a targetRef with a name;
// its kind, namespace, uid and resourceVersion stay as the remote wrote them).
func remoteAddresses(cluster string, in []corev1.EndpointAddress) []corev1.EndpointAddress {
	if in == nil {
		return nil
	}
	out := make([]corev1.EndpointAddress, len(in))
	for i, a := range in {
		a = *a.DeepCopy()
		if cluster != "" && a.TargetRef != nil && a.TargetRef.Name != "" {
			a.TargetRef.Name = cluster + "/" + a.TargetRef.Name
		}
		out[i] = a
	}
	return out
}

// fedSnapshot is what the calculation reads.
type fedSnapshot struct {
	svcs map[svcID]*corev1.Service
	eps  map[svcID]*corev1.Endpoints
}

// backingServices: the IDs (sorted) of the Services fed's selector matches.
func (s *fedSnapshot) backingServices(cfg *fedConfig) []svcID {
	var out []svcID
	for id, svc := range s.svcs {
		if _, ok := svc.Annotations[fedSelectorAnnotation]; ok {
			continue // federated (or erroneous) Services never back others
		}
		if cfg.sel.eval(backingLabels(id, svc)) {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.cluster != b.cluster {
			return a.cluster < b.cluster
		}
		if a.ns != b.ns {
			return a.ns < b.ns
		}
		return a.name < b.name
	})
	return out
}

// desiredEndpoints: the Endpoints the controller wants for a federated Service.
func (s *fedSnapshot) desiredEndpoints(id svcID, svc *corev1.Service, cfg *fedConfig) *corev1.Endpoints {
	ports := federatedPorts(svc)
	var subsets []corev1.EndpointSubset
	for _, b := range s.backingServices(cfg) {
		ep := s.eps[b]
		if ep == nil {
			continue
		}
		for _, ss := range ep.Subsets {
			var keep []corev1.EndpointPort
			for _, p := range ss.Ports {
				if ports[portKey{p.Name, protoOrTCP(p.Protocol)}] {
					keep = append(keep, p)
				}
			}
			if len(keep) == 0 {
				continue
			}
			subsets = append(subsets, corev1.EndpointSubset{
				Addresses:         remoteAddresses(b.cluster, ss.Addresses),
				NotReadyAddresses: remoteAddresses(b.cluster, ss.NotReadyAddresses),
				Ports:             keep,
			})
		}
	}
	return &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: id.name, Namespace: id.ns,
			Annotations: map[string]string{fedSelectorAnnotation: cfg.expr}},
		Subsets: repackSubsets(subsets),
	}
}

// repackSubsets brings subsets into one canonical form, as Kubernetes'
// RepackSubsets does: an address is (IP, targetRef UID); per port, an address
// that is not ready anywhere is not ready; addresses offering the same ports
// share a subset. Ordering is the lab's (IP, UID; ports by name, number).
func repackSubsets(in []corev1.EndpointSubset) []corev1.EndpointSubset {
	type akey struct {
		ip  string
		uid string
	}
	addrs := map[akey]corev1.EndpointAddress{}
	var order []akey
	perPort := map[corev1.EndpointPort]map[akey]bool{} // port -> address -> ready
	add := func(a corev1.EndpointAddress, p corev1.EndpointPort, ready bool) {
		k := akey{ip: a.IP}
		if a.TargetRef != nil {
			k.uid = string(a.TargetRef.UID)
		}
		if _, ok := addrs[k]; !ok {
			addrs[k] = a
			order = append(order, k)
		}
		m := perPort[p]
		if m == nil {
			m = map[akey]bool{}
			perPort[p] = m
		}
		if was, seen := m[k]; !seen || was {
			m[k] = ready
		}
	}
	for _, ss := range in {
		ps := ss.Ports
		if len(ps) == 0 {
			ps = []corev1.EndpointPort{{Port: -1}} // keep port-less addresses
		}
		for _, p := range ps {
			for _, a := range ss.Addresses {
				add(a, p, true)
			}
			for _, a := range ss.NotReadyAddresses {
				add(a, p, false)
			}
		}
	}
	// Group ports by their (address, ready) sets.
	sig := func(m map[akey]bool) string {
		var parts []string
		for k, r := range m {
			parts = append(parts, fmt.Sprintf("%s|%s|%v", k.ip, k.uid, r))
		}
		sort.Strings(parts)
		return strings.Join(parts, ",")
	}
	groups := map[string][]corev1.EndpointPort{}
	sets := map[string]map[akey]bool{}
	for p, m := range perPort {
		s := sig(m)
		sets[s] = m
		if p.Port >= 0 {
			groups[s] = append(groups[s], p)
		} else if _, ok := groups[s]; !ok {
			groups[s] = nil
		}
	}
	lessAddr := func(a, b corev1.EndpointAddress) bool {
		if a.IP != b.IP {
			return a.IP < b.IP
		}
		var ua, ub string
		if a.TargetRef != nil {
			ua = string(a.TargetRef.UID)
		}
		if b.TargetRef != nil {
			ub = string(b.TargetRef.UID)
		}
		return ua < ub
	}
	out := []corev1.EndpointSubset{}
	for s, ps := range groups {
		var ss corev1.EndpointSubset
		for _, k := range order {
			r, ok := sets[s][k]
			if !ok {
				continue
			}
			if r {
				ss.Addresses = append(ss.Addresses, addrs[k])
			} else {
				ss.NotReadyAddresses = append(ss.NotReadyAddresses, addrs[k])
			}
		}
		sort.Slice(ss.Addresses, func(i, j int) bool { return lessAddr(ss.Addresses[i], ss.Addresses[j]) })
		sort.Slice(ss.NotReadyAddresses, func(i, j int) bool { return lessAddr(ss.NotReadyAddresses[i], ss.NotReadyAddresses[j]) })
		sort.Slice(ps, func(i, j int) bool {
			if ps[i].Name != ps[j].Name {
				return ps[i].Name < ps[j].Name
			}
			if ps[i].Port != ps[j].Port {
				return ps[i].Port < ps[j].Port
			}
			return ps[i].Protocol < ps[j].Protocol
		})
		ss.Ports = ps
		out = append(out, ss)
	}
	sort.Slice(out, func(i, j int) bool { return subsetKey(out[i]) < subsetKey(out[j]) })
	return out
}

func subsetKey(s corev1.EndpointSubset) string {
	var b strings.Builder
	for _, p := range s.Ports {
		fmt.Fprintf(&b, "%s/%d/%s;", p.Name, p.Port, p.Protocol)
	}
	b.WriteString("|")
	for _, a := range s.Addresses {
		b.WriteString(a.IP + ",")
	}
	b.WriteString("|")
	for _, a := range s.NotReadyAddresses {
		b.WriteString(a.IP + ",")
	}
	return b.String()
}

// sameEndpoints compares what the controller owns: subsets (canonical) and
// the federation.tigera.io/ annotations.
func sameEndpoints(cur, want *corev1.Endpoints) bool {
	fa := func(e *corev1.Endpoints) map[string]string {
		m := map[string]string{}
		for k, v := range e.Annotations {
			if strings.HasPrefix(k, fedAnnotationPrefix) {
				m[k] = v
			}
		}
		return m
	}
	return reflect.DeepEqual(fa(cur), fa(want)) &&
		reflect.DeepEqual(normSubsets(repackSubsets(cur.Subsets)), normSubsets(want.Subsets))
}

// normSubsets: nil and empty address lists compare equal.
func normSubsets(in []corev1.EndpointSubset) []corev1.EndpointSubset {
	out := make([]corev1.EndpointSubset, len(in))
	for i, s := range in {
		s = *s.DeepCopy()
		if len(s.Addresses) == 0 {
			s.Addresses = nil
		}
		if len(s.NotReadyAddresses) == 0 {
			s.NotReadyAddresses = nil
		}
		out[i] = s
	}
	return out
}

// ---- the controller -------------------------------------------------------------

type fedController struct {
	lg    *logger
	local kubernetes.Interface
	eng   *engine

	mu      sync.Mutex
	snap    fedSnapshot
	desired map[string]*corev1.Endpoints // "ns/name" -> wanted; absent: must not exist
	running bool
	errs    map[svcID]string // last config error logged per local Service
	kick    chan struct{}
	queue   workqueue.TypedRateLimitingInterface[string]
}

func newFedController(lg *logger, local kubernetes.Interface) *fedController {
	return &fedController{
		lg: lg, local: local,
		snap:    fedSnapshot{svcs: map[svcID]*corev1.Service{}, eps: map[svcID]*corev1.Endpoints{}},
		desired: map[string]*corev1.Endpoints{},
		errs:    map[svcID]string{},
		kick:    make(chan struct{}, 1),
		queue:   workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
}

func (f *fedController) poke() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// ---- data in (the syncer's updates) ----

func (f *fedController) setService(id svcID, s *corev1.Service) {
	f.mu.Lock()
	if s == nil {
		delete(f.snap.svcs, id)
		delete(f.errs, id)
	} else {
		f.snap.svcs[id] = s
		if id.cluster == "" {
			if _, err := federationConfig(s); err != nil {
				// Logged on every update of such a local Service, as Calico does.
				f.lg.warn(fedFile, 445, fmt.Sprintf("Unable to parse federation config; the Service '%v' will not be included in Calico Enterprise federation", s.Name),
					F("error", errText(err.Error())))
			}
		}
	}
	f.mu.Unlock()
	f.poke()
}

func (f *fedController) setEndpoints(id svcID, e *corev1.Endpoints) {
	f.mu.Lock()
	if e == nil {
		delete(f.snap.eps, id)
	} else {
		f.snap.eps[id] = e
	}
	f.mu.Unlock()
	f.poke()
}

// remote sink (called by remote.go's watcher caches with the engine lock held
// and only while the syncer is current; never calls back into the engine).

func (f *fedController) remoteReplace(cluster, resource string, items []unstructured.Unstructured) {
	f.mu.Lock()
	keep := map[svcID]bool{}
	for i := range items {
		id := svcID{cluster, items[i].GetNamespace(), items[i].GetName()}
		keep[id] = true
		f.putRemoteLocked(cluster, resource, &items[i])
	}
	f.dropLocked(cluster, resource, keep)
	f.mu.Unlock()
	f.poke()
}

func (f *fedController) remoteEvent(cluster, resource string, deleted bool, u *unstructured.Unstructured) {
	f.mu.Lock()
	if deleted {
		id := svcID{cluster, u.GetNamespace(), u.GetName()}
		if resource == "services" {
			delete(f.snap.svcs, id)
		} else {
			delete(f.snap.eps, id)
		}
	} else {
		f.putRemoteLocked(cluster, resource, u)
	}
	f.mu.Unlock()
	f.poke()
}

func (f *fedController) remoteDrop(cluster, resource string) {
	f.mu.Lock()
	f.dropLocked(cluster, resource, nil)
	f.mu.Unlock()
	f.poke()
}

func (f *fedController) putRemoteLocked(cluster, resource string, u *unstructured.Unstructured) {
	id := svcID{cluster, u.GetNamespace(), u.GetName()}
	if resource == "services" {
		var s corev1.Service
		if runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &s) == nil {
			f.snap.svcs[id] = &s
		}
		return
	}
	var e corev1.Endpoints
	if runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &e) == nil {
		f.snap.eps[id] = &e
	}
}

func (f *fedController) dropLocked(cluster, resource string, keep map[svcID]bool) {
	if resource == "services" {
		for id := range f.snap.svcs {
			if id.cluster == cluster && !keep[id] {
				delete(f.snap.svcs, id)
			}
		}
		return
	}
	for id := range f.snap.eps {
		if id.cluster == cluster && !keep[id] {
			delete(f.snap.eps, id)
		}
	}
}

// ---- calculation ----

// recalc computes the wanted Endpoints of every local federated Service and
// queues the keys whose wanted state changed.
func (f *fedController) recalc() {
	f.mu.Lock()
	defer f.mu.Unlock()
	want := map[string]*corev1.Endpoints{}
	for id, s := range f.snap.svcs {
		if id.cluster != "" {
			continue
		}
		cfg, err := federationConfig(s)
		if cfg == nil || err != nil {
			continue
		}
		want[id.ns+"/"+id.name] = f.snap.desiredEndpoints(id, s, cfg)
	}
	for k, old := range f.desired {
		if _, ok := want[k]; !ok {
			f.lg.info(fedFile, 560, "Service is no longer federated, deleting Endpoints from cache", F("key", k))
			f.queue.Add(k)
		} else if !reflect.DeepEqual(old, want[k]) {
			f.queue.Add(k)
		}
	}
	for k := range want {
		if _, ok := f.desired[k]; !ok {
			f.queue.Add(k)
		}
	}
	f.desired = want
}

// ---- writing (the reconciler cache's workers) ----

func (f *fedController) wanted(key string) (*corev1.Endpoints, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.desired[key]
	if ok {
		e = e.DeepCopy()
	}
	return e, ok
}

func (f *fedController) sync(key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	ns, name, _ := strings.Cut(key, "/")
	kf := F("key", key)
	cur, err := f.local.CoreV1().Endpoints(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur = nil
	case err != nil:
		f.lg.info(fedFile, 268, "Unexpected error querying endpoints", kf, F("error", errText(err.Error())))
		return err
	default:
		if _, ok := cur.Annotations[fedSelectorAnnotation]; !ok {
			f.lg.info(fedFile, 273, "No selector annotation, endpoints not owned by controller", kf)
			return nil
		}
	}
	want, ok := f.wanted(key)
	if !ok {
		if cur == nil {
			return nil
		}
		f.lg.info(fedFile, 285, "Deleting Endpoints from Kubernetes datastore", kf)
		if err := f.local.CoreV1().Endpoints(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		return nil
	}
	if cur == nil {
		f.lg.info(fedFile, 301, "Creating Endpoints in Kubernetes datastore", kf)
		_, err := f.local.CoreV1().Endpoints(ns).Create(ctx, want, metav1.CreateOptions{})
		return err
	}
	f.lg.info(fedFile, 308, "Updating Endpoints in Kubernetes datastore", kf)
	cur.Subsets = want.Subsets
	if cur.Annotations == nil {
		cur.Annotations = map[string]string{}
	}
	for k, v := range want.Annotations { // others' annotations stay
		cur.Annotations[k] = v
	}
	_, err = f.local.CoreV1().Endpoints(ns).Update(ctx, cur, metav1.UpdateOptions{})
	return err
}

func (f *fedController) worker() {
	for {
		key, quit := f.queue.Get()
		if quit {
			return
		}
		err := f.sync(key)
		switch {
		case err == nil:
			f.queue.Forget(key)
		case f.queue.NumRequeues(key) < 5:
			f.lg.errorf(fedFile, 352, fmt.Sprintf("Error syncing Profile %v: %v", key, err), F("error", errText(err.Error())), F("key", key))
			f.queue.AddRateLimited(key)
		default:
			f.queue.Forget(key)
			f.lg.errorf(fedFile, 361, fmt.Sprintf("Dropping Profile %q out of the queue: %v", key, err), F("error", errText(err.Error())))
		}
		f.queue.Done(key)
	}
}

// reconcile: every federated Endpoints object in the cluster (those with the
// annotation) is compared with what is wanted; a difference, or one that is
// not wanted at all, is queued (which updates or deletes it).
func (f *fedController) reconcile() {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	l, err := f.local.CoreV1().Endpoints("").List(ctx, metav1.ListOptions{})
	if err != nil {
		f.lg.errorf("cache.go", 267, "unable to list objects from datastore while reconciling.", F("error", errText(err.Error())))
		return
	}
	seen := map[string]bool{}
	for i := range l.Items {
		e := &l.Items[i]
		if _, ok := e.Annotations[fedSelectorAnnotation]; !ok {
			continue
		}
		k := e.Namespace + "/" + e.Name
		seen[k] = true
		want, ok := f.wanted(k)
		switch {
		case !ok:
			f.lg.warn("cache.go", 289, "Value for key should not exist, queueing update to remove", F("key", k))
			f.queue.Add(k)
		case !sameEndpoints(e, want):
			f.lg.warn("cache.go", 309, "Value in datastore differs from cache, queueing update to re-program", F("key", k))
			f.queue.Add(k)
		}
	}
	f.mu.Lock()
	var missing []string
	for k := range f.desired {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	f.mu.Unlock()
	for _, k := range missing {
		f.lg.warn("cache.go", 300, "Value for key is missing in datastore, queueing update to reprogram", F("key", k))
		f.queue.Add(k)
	}
}

// run starts the local informers, waits until the local data, the RCCs and
// the remotes known at that moment have synced (or failed), then computes and
// writes, and afterwards recomputes on every change.
func (f *fedController) run(rccSynced cache.InformerSynced) {
	f.lg.info(fedFile, 170, "Starting FederatedServices controller")
	factory := informers.NewSharedInformerFactory(f.local, 0)
	svcInf := factory.Core().V1().Services().Informer()
	epInf := factory.Core().V1().Endpoints().Informer()
	key := func(o interface{}) (svcID, metav1.Object, bool) {
		if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
			o = d.Obj
		}
		m, ok := o.(metav1.Object)
		if !ok {
			return svcID{}, nil, false
		}
		return svcID{"", m.GetNamespace(), m.GetName()}, m, true
	}
	svcInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o interface{}) { id, m, _ := key(o); f.setService(id, m.(*corev1.Service)) },
		UpdateFunc: func(_, o interface{}) { id, m, _ := key(o); f.setService(id, m.(*corev1.Service)) },
		DeleteFunc: func(o interface{}) {
			if id, _, ok := key(o); ok {
				f.setService(id, nil)
			}
		},
	})
	epInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o interface{}) { id, m, _ := key(o); f.setEndpoints(id, m.(*corev1.Endpoints)) },
		UpdateFunc: func(_, o interface{}) { id, m, _ := key(o); f.setEndpoints(id, m.(*corev1.Endpoints)) },
		DeleteFunc: func(o interface{}) {
			if id, _, ok := key(o); ok {
				f.setEndpoints(id, nil)
			}
		},
	})
	stop := make(chan struct{})
	factory.Start(stop)
	cache.WaitForCacheSync(stop, svcInf.HasSynced, epInf.HasSynced, rccSynced)

	f.lg.info(wcFile, 145, "Local datastore is synced, waiting for remotes.")
	f.lg.info(wcFile, 154, "--> Waiting for remote datastores...")
	f.eng.waitInitialRemotes()
	f.lg.info(wcFile, 156, "--> Remote datastores are synced.")
	f.recalc()
	f.lg.info(fedFile, 178, "Finished syncing with Calico API (FederatedServices)")
	go f.worker()
	f.reconcile()
	f.lg.info(fedFile, 190, "FederatedServices controller is now running")
	t := time.NewTicker(fedReconcilePeriod)
	defer t.Stop()
	for {
		select {
		case <-f.kick:
			f.recalc()
		case <-t.C:
			f.reconcile()
		}
	}
}
