package main

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestSelector(t *testing.T) {
	l := map[string]string{"federation": "yes", "app": "testdb", "tier": "backend-db"}
	cases := []struct {
		sel  string
		want bool
	}{
		{``, true},
		{`all()`, true},
		{`global()`, true},
		{`federation == "yes"`, true},
		{`federation == 'yes'`, true},
		{`federation=="no"`, false},
		{`federation != "no"`, true},
		{`missing != "x"`, true},
		{`missing == "x"`, false},
		{`has(app)`, true},
		{`has( app )`, true},
		{`!has(app)`, false},
		{`!!has(app)`, true},
		{`app in {"a", "testdb"}`, true},
		{`app in {}`, false},
		{`app in {"testdb",}`, true},
		{`missing in {"x"}`, false},
		{`missing not in {"x"}`, true},
		{`app not in {"testdb"}`, false},
		{`app notin {"testdb"}`, false},
		{`tier contains "end-d"`, true},
		{`tier starts with "back"`, true},
		{`tier ends  with "db"`, true},
		{`tier ends with "x"`, false},
		{`federation == "yes" && app == "x" || tier == "backend-db"`, true},
		{`federation == "yes" && (app == "x" || tier == "y")`, false},
		{`!(app == "x")`, true},
		{`projectcalico.org/namespace == 'redis' && (federation == "yes")`, false},
	}
	for _, c := range cases {
		s, err := parseSelector(c.sel)
		if err != nil {
			t.Errorf("%q: %v", c.sel, err)
			continue
		}
		if got := s.eval(l); got != c.want {
			t.Errorf("%q: got %v, want %v", c.sel, got, c.want)
		}
	}
	for _, bad := range []string{`federation = "yes"`, `federation == yes`, `federation == "yes`, `a & b`, `a | b`,
		`(a == "b"`, `a == "b" )`, `a in {"b"`, `a in "b"`, `has(a`, `all(x)`, `a b`, `== "x"`, `a == "b" c == "d"`} {
		if _, err := parseSelector(bad); err == nil {
			t.Errorf("%q parsed, want an error", bad)
		}
	}
}

func svc(ns, name string, labels, ann map[string]string, sel map[string]string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, Annotations: ann},
		Spec: corev1.ServiceSpec{Selector: sel, Ports: ports}}
}

func addr(ip, pod, uid string) corev1.EndpointAddress {
	return corev1.EndpointAddress{IP: ip, NodeName: strPtr("n1"),
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "redis", Name: pod, UID: types.UID(uid)}}
}

func strPtr(s string) *string { return &s }

func TestFederationConfig(t *testing.T) {
	fed := map[string]string{fedSelectorAnnotation: `federation == "yes"`}
	if cfg, err := federationConfig(svc("redis", "a", nil, nil, nil)); cfg != nil || err != nil {
		t.Errorf("no annotation: %v %v", cfg, err)
	}
	if _, err := federationConfig(svc("redis", "a", nil, fed, map[string]string{"app": "x"})); err == nil {
		t.Errorf("spec.selector: want an error")
	}
	if _, err := federationConfig(svc("redis", "a", nil, map[string]string{fedSelectorAnnotation: `federation = "yes"`}, nil)); err == nil {
		t.Errorf("bad expression: want an error")
	}
	cfg, err := federationConfig(svc("redis", "a", nil, fed, nil))
	if err != nil || cfg.expr != `federation == "yes"` {
		t.Fatalf("%v %v", cfg, err)
	}
	yes := map[string]string{"federation": "yes"}
	if !cfg.sel.eval(backingLabels(svcID{"pdx", "redis", "b"}, svc("redis", "b", yes, nil, nil))) {
		t.Errorf("same namespace, remote: want a match")
	}
	if cfg.sel.eval(backingLabels(svcID{"", "other", "b"}, svc("other", "b", yes, nil, nil))) {
		t.Errorf("other namespace: want no match")
	}
	// The remote cluster's name is a label the selector can use.
	cfg2, _ := federationConfig(svc("redis", "a", nil, map[string]string{fedSelectorAnnotation: fedClusterLabel + ` == "pdx"`}, nil))
	if !cfg2.sel.eval(backingLabels(svcID{"pdx", "redis", "b"}, svc("redis", "b", nil, nil, nil))) ||
		cfg2.sel.eval(backingLabels(svcID{"", "redis", "b"}, svc("redis", "b", nil, nil, nil))) {
		t.Errorf("remoteClusterName label")
	}
	// An empty expression selects every Service of the namespace.
	cfg3, _ := federationConfig(svc("redis", "a", nil, map[string]string{fedSelectorAnnotation: ""}, nil))
	if !cfg3.sel.eval(backingLabels(svcID{"", "redis", "b"}, svc("redis", "b", nil, nil, nil))) {
		t.Errorf("empty expression")
	}
}

func TestRemoteAddresses(t *testing.T) {
	in := []corev1.EndpointAddress{addr("10.11.0.1", "testdb-1", "u1"), {IP: "10.11.0.9"},
		{IP: "10.11.0.8", TargetRef: &corev1.ObjectReference{Kind: "Pod"}}}
	out := remoteAddresses("pdx", in)
	if out[0].TargetRef.Name != "pdx/testdb-1" || out[0].TargetRef.UID != "u1" || out[0].TargetRef.Namespace != "redis" ||
		out[0].TargetRef.Kind != "Pod" || *out[0].NodeName != "n1" {
		t.Errorf("remote address: %+v %+v", out[0], out[0].TargetRef)
	}
	if out[1].TargetRef != nil || out[2].TargetRef.Name != "" {
		t.Errorf("no targetRef / no name must stay: %+v %+v", out[1], out[2].TargetRef)
	}
	if in[0].TargetRef.Name != "testdb-1" {
		t.Errorf("input modified")
	}
	if local := remoteAddresses("", in); local[0].TargetRef.Name != "testdb-1" {
		t.Errorf("local names stay")
	}
}

func TestDesiredEndpoints(t *testing.T) {
	yes := map[string]string{"federation": "yes"}
	fedAnn := map[string]string{fedSelectorAnnotation: `federation == "yes"`}
	redis := corev1.EndpointPort{Name: "redis", Port: 6379, Protocol: corev1.ProtocolTCP}
	snap := fedSnapshot{
		svcs: map[svcID]*corev1.Service{
			{"", "redis", "testdb-federated"}: svc("redis", "testdb-federated", nil, fedAnn, nil,
				corev1.ServicePort{Name: "redis", Port: 6379, Protocol: corev1.ProtocolTCP}),
			{"", "redis", "testdb"}:    svc("redis", "testdb", yes, nil, map[string]string{"app": "testdb"}),
			{"pdx", "redis", "testdb"}: svc("redis", "testdb", yes, nil, map[string]string{"app": "testdb"}),
			{"pdx", "redis", "nolab"}:  svc("redis", "nolab", nil, nil, nil),
			{"pdx", "other", "testdb"}: svc("other", "testdb", yes, nil, nil),
			// a remote federated Service is never a backing one, even if labelled
			{"pdx", "redis", "fed2"}: svc("redis", "fed2", yes, fedAnn, nil),
		},
		eps: map[svcID]*corev1.Endpoints{
			{"", "redis", "testdb"}: {Subsets: []corev1.EndpointSubset{{
				Addresses:         []corev1.EndpointAddress{addr("10.10.0.2", "testdb-2", "l2"), addr("10.10.0.1", "testdb-1", "l1")},
				NotReadyAddresses: []corev1.EndpointAddress{addr("10.10.0.3", "testdb-3", "l3")},
				Ports:             []corev1.EndpointPort{redis, {Name: "metrics", Port: 9121, Protocol: corev1.ProtocolTCP}},
			}}},
			{"pdx", "redis", "testdb"}: {Subsets: []corev1.EndpointSubset{{
				Addresses: []corev1.EndpointAddress{addr("10.11.0.1", "testdb-1", "r1")},
				Ports:     []corev1.EndpointPort{redis},
			}}},
			{"pdx", "redis", "nolab"}:  {Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "10.11.9.9"}}, Ports: []corev1.EndpointPort{redis}}}},
			{"pdx", "other", "testdb"}: {Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "10.11.8.8"}}, Ports: []corev1.EndpointPort{redis}}}},
			{"pdx", "redis", "fed2"}:   {Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "10.11.7.7"}}, Ports: []corev1.EndpointPort{redis}}}},
		},
	}
	id := svcID{"", "redis", "testdb-federated"}
	s := snap.svcs[id]
	cfg, err := federationConfig(s)
	if err != nil {
		t.Fatal(err)
	}
	got := snap.desiredEndpoints(id, s, cfg)
	if got.Name != "testdb-federated" || got.Namespace != "redis" || len(got.Labels) != 0 ||
		got.Annotations[fedSelectorAnnotation] != `federation == "yes"` || len(got.Annotations) != 1 {
		t.Errorf("metadata: %+v", got.ObjectMeta)
	}
	if len(got.Subsets) != 1 {
		t.Fatalf("subsets: %+v", got.Subsets)
	}
	ss := got.Subsets[0]
	var ready, notReady []string
	for _, a := range ss.Addresses {
		ready = append(ready, a.IP+" "+a.TargetRef.Name)
	}
	for _, a := range ss.NotReadyAddresses {
		notReady = append(notReady, a.IP+" "+a.TargetRef.Name)
	}
	wantReady := []string{"10.10.0.1 testdb-1", "10.10.0.2 testdb-2", "10.11.0.1 pdx/testdb-1"}
	if len(ready) != 3 || ready[0] != wantReady[0] || ready[1] != wantReady[1] || ready[2] != wantReady[2] {
		t.Errorf("ready: %v, want %v", ready, wantReady)
	}
	if len(notReady) != 1 || notReady[0] != "10.10.0.3 testdb-3" {
		t.Errorf("not ready: %v", notReady)
	}
	if len(ss.Ports) != 1 || ss.Ports[0] != redis {
		t.Errorf("ports (metrics is not federated): %+v", ss.Ports)
	}

	// Ports match by name and protocol, not number; an unnamed port matches unnamed ones.
	s2 := svc("redis", "f", nil, fedAnn, nil, corev1.ServicePort{Port: 1})
	snap.eps[svcID{"pdx", "redis", "testdb"}] = &corev1.Endpoints{Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{addr("10.11.0.1", "testdb-1", "r1")},
		Ports:     []corev1.EndpointPort{{Port: 7000, Protocol: corev1.ProtocolTCP}, {Name: "redis", Port: 6379, Protocol: corev1.ProtocolUDP}},
	}}}
	got2 := snap.desiredEndpoints(svcID{"", "redis", "f"}, s2, cfg)
	if len(got2.Subsets) != 1 || len(got2.Subsets[0].Ports) != 1 || got2.Subsets[0].Ports[0].Port != 7000 ||
		got2.Subsets[0].Addresses[0].TargetRef.Name != "pdx/testdb-1" {
		t.Errorf("unnamed port: %+v", got2.Subsets)
	}
	// No backing endpoints: an Endpoints object with no subsets.
	cfg3, _ := federationConfig(svc("redis", "x", nil, map[string]string{fedSelectorAnnotation: `app == "none"`}, nil))
	if got3 := snap.desiredEndpoints(svcID{"", "redis", "x"}, s2, cfg3); got3.Subsets == nil || len(got3.Subsets) != 0 {
		t.Errorf("no backing: %+v", got3.Subsets)
	}
}

func TestRepackSubsets(t *testing.T) {
	p1 := corev1.EndpointPort{Name: "redis", Port: 6379, Protocol: corev1.ProtocolTCP}
	p2 := corev1.EndpointPort{Name: "redis", Port: 7000, Protocol: corev1.ProtocolTCP}
	a, b := addr("10.0.0.1", "a", "ua"), addr("10.0.0.2", "b", "ub")
	in := []corev1.EndpointSubset{
		{Addresses: []corev1.EndpointAddress{a, b}, Ports: []corev1.EndpointPort{p1}},
		{NotReadyAddresses: []corev1.EndpointAddress{a}, Ports: []corev1.EndpointPort{p1}}, // not ready trumps ready
		{Addresses: []corev1.EndpointAddress{b}, Ports: []corev1.EndpointPort{p2}},
	}
	out := repackSubsets(in)
	if len(out) != 2 {
		t.Fatalf("%+v", out)
	}
	var s6379, s7000 corev1.EndpointSubset
	for _, s := range out {
		if s.Ports[0].Port == 6379 {
			s6379 = s
		} else {
			s7000 = s
		}
	}
	if len(s6379.Addresses) != 1 || s6379.Addresses[0].IP != "10.0.0.2" || len(s6379.NotReadyAddresses) != 1 || s6379.NotReadyAddresses[0].IP != "10.0.0.1" {
		t.Errorf("6379: %+v", s6379)
	}
	if len(s7000.Addresses) != 1 || s7000.Addresses[0].IP != "10.0.0.2" {
		t.Errorf("7000: %+v", s7000)
	}
	// Same ports, same addresses: one subset with both ports; idempotent.
	two := repackSubsets([]corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{a}, Ports: []corev1.EndpointPort{p2, p1}}})
	if len(two) != 1 || len(two[0].Ports) != 2 || two[0].Ports[0].Port != 6379 {
		t.Errorf("%+v", two)
	}
	cur := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{fedSelectorAnnotation: "x", "other": "y"}}, Subsets: in}
	want := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{fedSelectorAnnotation: "x"}}, Subsets: out}
	if !sameEndpoints(cur, want) {
		t.Errorf("sameEndpoints: a repacked copy with other annotations is the same")
	}
}

func TestNextFreeIP(t *testing.T) {
	ip, err := nextFreeIP("10.10.0.0/16", map[string]bool{"10.10.0.1": true})
	if err != nil || ip != "10.10.0.2" {
		t.Errorf("%s %v", ip, err)
	}
	if _, err := nextFreeIP("10.10.0.0/30", map[string]bool{"10.10.0.1": true, "10.10.0.2": true}); err == nil {
		t.Errorf("full /30: want an error")
	}
	if l, err := parseLabels("app=testdb, tier=db"); err != nil || l["app"] != "testdb" || l["tier"] != "db" {
		t.Errorf("%v %v", l, err)
	}
	if p, err := parsePorts("redis=6379,dns=53/udp"); err != nil || p[0].ContainerPort != 6379 || p[1].Protocol != corev1.ProtocolUDP {
		t.Errorf("%v %v", p, err)
	}
}
