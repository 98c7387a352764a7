package main

// Calico Enterprise flavours per cluster: how projectcalico.org/v3 is served
// (legacy, apiserver, v3crd, migrating), the aggregated API server's apply
// bug, the DatastoreMigration phase, the Enterprise version and the licence.
// Facts from /work/shared/calico-mesh.md ("Calico API modes, versions and
// licence"); see README.md for what each flavour serves and the deviations.

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

const (
	apiLegacy    = "legacy"    // the lab's original shape (default)
	apiServer    = "apiserver" // Enterprise 3.21-3.23: aggregated API server, crd.projectcalico.org storage
	apiV3CRD     = "v3crd"     // Enterprise 3.24 default: projectcalico.org/v3 CRDs only
	apiMigrating = "migrating" // apiserver + a DatastoreMigration APIServerToCRDs

	licOK      = "ok"
	licMissing = "missing"
	licExpired = "expired"

	calicoAPIPort = 5443 // the lab's Calico API server + licence webhook, on NodeIP
	calicoAPINS   = "calico-apiserver"
	calicoAPISvc  = "calico-api"

	crdGroup = "crd.projectcalico.org"
	v3Group  = "projectcalico.org"
)

// licenseMessage: the facts give the text up to "this feature."; the
// sentence after it is the lab's.
const licenseMessage = "this operation is not allowed: the enterprise license is missing, expired, or does not include this feature. " +
	"Apply a valid LicenseKey to enable it."

var migrationPhases = []string{"Pending", "Migrating", "Converged", "Complete"}

// calicoKinds: the Calico kinds every flavour serves (in one or both groups).
var calicoKinds = []struct{ plural, kind string }{
	{"remoteclusterconfigurations", "RemoteClusterConfiguration"},
	{"ippools", "IPPool"},
	{"ipamblocks", "IPAMBlock"},
	{"hostendpoints", "HostEndpoint"},
	{"felixconfigurations", "FelixConfiguration"},
	{"clusterinformations", "ClusterInformation"},
	{"licensekeys", "LicenseKey"},
}

func calicoKind(plural string) string {
	for _, k := range calicoKinds {
		if k.plural == plural {
			return k.kind
		}
	}
	return ""
}

func (c *Cluster) api() string {
	if c.CalicoAPI == "" {
		return apiLegacy
	}
	return c.CalicoAPI
}

func (c *Cluster) license() string {
	if c.License == "" {
		return licOK
	}
	return c.License
}

// defaultVersion per flavour: legacy and apiserver 3.22 (so the Typha
// stand-in reads crd.projectcalico.org/v1 as it always did), migrating 3.23,
// v3crd 3.24.
func defaultVersion(api string) string {
	switch api {
	case apiV3CRD:
		return "3.24"
	case apiMigrating:
		return "3.23"
	}
	return "3.22"
}

func (c *Cluster) version() string {
	if c.CalicoVersion == "" {
		return defaultVersion(c.api())
	}
	return c.CalicoVersion
}

// versionMinor returns the Enterprise minor (3.24 -> 24).
func versionMinor(v string) int {
	f := strings.Split(v, ".")
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// cnxVersion "v3.24.0"; calicoVersion: the OSS base (3.21->3.30, 3.22->3.31,
// 3.23 and 3.24->3.32; earlier ones +9, later ones 3.32: a guess).
func (c *Cluster) cnxVersion() string {
	v := c.version()
	if strings.Count(v, ".") == 1 {
		v += ".0"
	}
	return "v" + v
}

func (c *Cluster) ossVersion() string {
	m := versionMinor(c.version())
	oss := m + 9
	if m >= 23 {
		oss = 32
	}
	return fmt.Sprintf("v3.%d.0", oss)
}

// servesCRDGroup: crd.projectcalico.org/v1 CRDs exist.
func (c *Cluster) servesCRDGroup() bool { return c.api() != apiV3CRD }

// aggregated: projectcalico.org/v3 is served by the lab's aggregated API server.
func (c *Cluster) aggregated() bool { return c.api() == apiServer || c.api() == apiMigrating }

// needsCalicoServer: the lab runs its Calico API server / webhook for this cluster.
func (c *Cluster) needsCalicoServer() bool { return c.aggregated() || c.license() != licOK }

// storageGVR: where the lab writes Calico objects of this kind in this
// cluster (the v3 CRD in v3crd, the crd.projectcalico.org storage otherwise;
// in legacy RCCs exist only as the v3 CRD).
func (c *Cluster) storageGVR(plural string) schema.GroupVersionResource {
	if !c.servesCRDGroup() || (c.api() == apiLegacy && plural == "remoteclusterconfigurations") {
		return schema.GroupVersionResource{Group: v3Group, Version: "v3", Resource: plural}
	}
	return schema.GroupVersionResource{Group: crdGroup, Version: "v1", Resource: plural}
}

// ---- flags -------------------------------------------------------------------

// parsePerCluster parses "x=v,y=w" (a bare "v" sets the default for clusters
// not named) and checks the values.
func parsePerCluster(flagName, s string, names []string, allowed []string, check func(string) error) (string, map[string]string, error) {
	def := ""
	m := map[string]string{}
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		k, v, named := strings.Cut(e, "=")
		if !named {
			k, v = "", e
		}
		ok := len(allowed) == 0
		for _, a := range allowed {
			if v == a {
				ok = true
			}
		}
		if !ok {
			return "", nil, fmt.Errorf("--%s: %q is not one of %s", flagName, v, strings.Join(allowed, ", "))
		}
		if check != nil {
			if err := check(v); err != nil {
				return "", nil, fmt.Errorf("--%s: %v", flagName, err)
			}
		}
		if !named {
			def = v
			continue
		}
		if !known[k] {
			return "", nil, fmt.Errorf("--%s: cluster %q is not in --clusters", flagName, k)
		}
		m[k] = v
	}
	return def, m, nil
}

// applyBugFlag: --calico-apply-bug (every cluster with the API server) or
// --calico-apply-bug=pdx,fra.
type applyBugFlag struct{ v string }

func (f *applyBugFlag) String() string     { return f.v }
func (f *applyBugFlag) Set(s string) error { f.v = s; return nil }
func (f *applyBugFlag) IsBoolFlag() bool   { return true }

type flavourFlags struct {
	api, applyBug, phase, version, license string
}

func checkVersion(v string) error {
	f := strings.Split(v, ".")
	if len(f) < 2 || len(f) > 3 || f[0] != "3" {
		return fmt.Errorf("version %q: want 3.NN or 3.NN.P (Enterprise)", v)
	}
	for _, x := range f {
		if _, err := strconv.Atoi(x); err != nil {
			return fmt.Errorf("version %q: want 3.NN or 3.NN.P", v)
		}
	}
	return nil
}

// applyFlavours records the flavour flags in the clusters (first `up` only).
func applyFlavours(st *State, ff flavourFlags) error {
	names := st.names()
	apiDef, apiM, err := parsePerCluster("calico-api", ff.api, names, []string{apiLegacy, apiServer, apiV3CRD, apiMigrating}, nil)
	if err != nil {
		return err
	}
	phDef, phM, err := parsePerCluster("migration-phase", ff.phase, names, migrationPhases, nil)
	if err != nil {
		return err
	}
	verDef, verM, err := parsePerCluster("calico-version", ff.version, names, nil, checkVersion)
	if err != nil {
		return err
	}
	licDef, licM, err := parsePerCluster("license", ff.license, names, []string{licOK, licMissing, licExpired}, nil)
	if err != nil {
		return err
	}
	pick := func(m map[string]string, def, name string) string {
		if v, ok := m[name]; ok {
			return v
		}
		return def
	}
	for _, c := range st.Clusters {
		c.CalicoAPI = pick(apiM, apiDef, c.Name)
		if c.CalicoAPI == apiLegacy {
			c.CalicoAPI = ""
		}
		c.CalicoVersion = pick(verM, verDef, c.Name)
		c.License = pick(licM, licDef, c.Name)
		if c.License == licOK {
			c.License = ""
		}
		if c.api() == apiMigrating {
			c.MigrationPhase = pick(phM, phDef, c.Name)
			if c.MigrationPhase == "" {
				c.MigrationPhase = "Migrating"
			}
		}
	}
	switch ff.applyBug {
	case "", "false":
	case "true":
		for _, c := range st.Clusters {
			c.ApplyBug = c.aggregated()
		}
	default:
		for _, n := range strings.Split(ff.applyBug, ",") {
			c := st.cluster(strings.TrimSpace(n))
			if c == nil {
				return fmt.Errorf("--calico-apply-bug: cluster %q is not in --clusters", n)
			}
			if !c.aggregated() {
				return fmt.Errorf("--calico-apply-bug: cluster %s has no Calico API server (--calico-api %s); the bug is the API server's", c.Name, c.api())
			}
			c.ApplyBug = true
		}
	}
	for _, c := range st.Clusters {
		if c.needsCalicoServer() {
			c.CalicoAPIPort = calicoAPIPort
		}
	}
	return nil
}

func (c *Cluster) flavourSummary() string {
	s := fmt.Sprintf("calico-api %s, Enterprise %s (calicoVersion %s), license %s", c.api(), c.cnxVersion(), c.ossVersion(), c.license())
	if c.ApplyBug {
		s += ", apply bug"
	}
	if c.MigrationPhase != "" {
		s += ", migration phase " + c.MigrationPhase
	}
	if c.CalicoAPIPort != 0 {
		s += fmt.Sprintf(", Calico API server/webhook https://%s:%d", c.NodeIP, c.CalicoAPIPort)
	}
	return s
}

// ---- CRDs and objects (bootstrap) ---------------------------------------------

func genericCRD(group, version, plural, kind string) *unstructured.Unstructured {
	return obj(m{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   m{"name": plural + "." + group},
		"spec": m{
			"group": group,
			"scope": "Cluster",
			"names": m{"plural": plural, "singular": lower(kind), "kind": kind, "listKind": kind + "List"},
			"versions": l{m{
				"name": version, "served": true, "storage": true,
				"schema": m{"openAPIV3Schema": m{
					"type": "object", "x-kubernetes-preserve-unknown-fields": true,
				}},
			}},
		},
	})
}

// flavourCRDs: the CRDs of a cluster's flavour.
func flavourCRDs(c *Cluster) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	switch c.api() {
	case apiLegacy:
		out = append(out, rccCRD(v3Group, "v3", false))
		for _, k := range calicoKinds[1:] {
			out = append(out, genericCRD(crdGroup, "v1", k.plural, k.kind))
		}
	case apiV3CRD:
		out = append(out, rccCRD(v3Group, "v3", true))
		for _, k := range calicoKinds[1:] {
			out = append(out, genericCRD(v3Group, "v3", k.plural, k.kind))
		}
	default: // apiserver, migrating: storage CRDs; projectcalico.org/v3 is aggregated
		out = append(out, rccCRD(crdGroup, "v1", false))
		for _, k := range calicoKinds[1:] {
			out = append(out, genericCRD(crdGroup, "v1", k.plural, k.kind))
		}
		if c.api() == apiMigrating {
			out = append(out, genericCRD("migration.projectcalico.org", "v1", "datastoremigrations", "DatastoreMigration"))
		}
	}
	return out
}

func waitServed(ctx context.Context, dyn dynamic.Interface, gvrs ...schema.GroupVersionResource) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		var err error
		for _, g := range gvrs {
			if _, err = dyn.Resource(g).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
				break
			}
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CRDs not served: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// flavourObjects creates the Calico objects in the group(s) the flavour
// stores them in: IPPool, FelixConfiguration default, ClusterInformation
// default, LicenseKey default (unless missing), DatastoreMigration.
func flavourObjects(ctx context.Context, dyn dynamic.Interface, c *Cluster) error {
	var gvrs []schema.GroupVersionResource
	for _, k := range calicoKinds {
		gvrs = append(gvrs, c.storageGVR(k.plural))
	}
	if err := waitServed(ctx, dyn, gvrs...); err != nil {
		return err
	}
	mk := func(plural, name string, spec m, extra m) error {
		g := c.storageGVR(plural)
		o := m{"apiVersion": g.Group + "/" + g.Version, "kind": calicoKind(plural),
			"metadata": m{"name": name}, "spec": spec}
		for k, v := range extra {
			o[k] = v
		}
		if _, err := dyn.Resource(g).Create(ctx, obj(o), metav1.CreateOptions{}); createOrKeep(err) != nil {
			return fmt.Errorf("%s %s: %v", calicoKind(plural), name, err)
		}
		return nil
	}
	ipip, vxlan := poolModes(c.encap())
	if err := mk("ippools", "default-ipv4-ippool", m{"cidr": c.PodCIDR, "blockSize": int64(26), "ipipMode": ipip,
		"vxlanMode": vxlan, "natOutgoing": true, "nodeSelector": "all()"}, nil); err != nil {
		return err
	}
	if err := mk("felixconfigurations", "default", m{"vxlanEnabled": true, "vxlanPort": int64(4789), "vxlanVNI": int64(4096),
		"wireguardEnabled": c.encap() == encapWireGuard, "routeSource": "CalicoIPAM", "bpfEnabled": false,
		"logSeverityScreen": "Info"}, nil); err != nil {
		return err
	}
	if err := mk("clusterinformations", "default", m{"calicoVersion": c.ossVersion(), "cnxVersion": c.cnxVersion(),
		"clusterGUID": shortHash(c.Name+"/guid", 16), "clusterType": "typha,kdd,k8s,operator,bgp,kubeadm",
		"datastoreReady": true}, nil); err != nil {
		return err
	}
	if c.license() != licMissing {
		exp := time.Now().UTC().AddDate(1, 0, 0)
		if c.license() == licExpired {
			exp = time.Now().UTC().AddDate(0, 0, -1)
		}
		tok := base64.StdEncoding.EncodeToString([]byte("meshctl-lab licence for " + c.Name))
		if err := mk("licensekeys", "default", m{"token": tok, "certificate": "lab"}, m{"status": m{
			"expiry": exp.Format(time.RFC3339), "maxnodes": int64(0), "package": "Enterprise",
			"features": l{"cnx", "federated-services", "all"}}}); err != nil {
			return err
		}
	}
	if c.api() == apiMigrating {
		g := schema.GroupVersionResource{Group: "migration.projectcalico.org", Version: "v1", Resource: "datastoremigrations"}
		if err := waitServed(ctx, dyn, g); err != nil {
			return err
		}
		o := obj(m{"apiVersion": "migration.projectcalico.org/v1", "kind": "DatastoreMigration",
			"metadata": m{"name": "v3-migration"},
			"spec":     m{"type": "APIServerToCRDs"},
			"status":   m{"phase": c.MigrationPhase}})
		if _, err := dyn.Resource(g).Create(ctx, o, metav1.CreateOptions{}); createOrKeep(err) != nil {
			return fmt.Errorf("DatastoreMigration: %v", err)
		}
	}
	return nil
}

// ---- registration after the supervisor runs: APIService, webhook -------------

var (
	apiServiceGVR = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}
	vwcGVR        = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"}
	svcGVR        = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	nsGVR         = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// registerCalicoServers makes each cluster's kube-apiserver use the lab's
// Calico API server (APIService v3.projectcalico.org) and licence webhook.
// Done once the supervisor serves them: an APIService pointing at nothing
// degrades discovery for every client, a webhook with failurePolicy Fail
// refuses writes.
func registerCalicoServers(st *State) error {
	for _, c := range st.Clusters {
		if !c.needsCalicoServer() {
			continue
		}
		if err := registerCluster(st, c); err != nil {
			return fmt.Errorf("cluster %s: %v", c.Name, err)
		}
	}
	return nil
}

func registerCluster(st *State, c *Cluster) error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dyn, err := dynamic.NewForConfig(adminRestConfig(st, c))
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(st.pki(c, "ca.crt"))
	if err != nil {
		return err
	}
	caB64 := base64.StdEncoding.EncodeToString(ca)
	if c.aggregated() {
		if _, err := os.Stat(st.pki(c, "front-proxy-ca.crt")); err != nil {
			return fmt.Errorf("this lab's PKI has no front-proxy CA (made by an older lab): run `lab down` and `up` again")
		}
		if _, err := dyn.Resource(nsGVR).Create(ctx, obj(m{"apiVersion": "v1", "kind": "Namespace",
			"metadata": m{"name": calicoAPINS}}), metav1.CreateOptions{}); createOrKeep(err) != nil {
			return err
		}
		svc := obj(m{"apiVersion": "v1", "kind": "Service",
			"metadata": m{"name": calicoAPISvc, "namespace": calicoAPINS, "labels": m{"k8s-app": "calico-apiserver"}},
			"spec": m{"type": "ExternalName", "externalName": c.NodeIP,
				"ports": l{m{"name": "apiserver", "port": int64(c.CalicoAPIPort), "protocol": "TCP"}}}})
		if _, err := dyn.Resource(svcGVR).Namespace(calicoAPINS).Create(ctx, svc, metav1.CreateOptions{}); createOrKeep(err) != nil {
			return fmt.Errorf("service %s/%s: %v", calicoAPINS, calicoAPISvc, err)
		}
		as := obj(m{"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
			"metadata": m{"name": "v3.projectcalico.org"},
			"spec": m{"group": v3Group, "version": "v3", "groupPriorityMinimum": int64(1500), "versionPriority": int64(200),
				"caBundle": caB64,
				"service":  m{"namespace": calicoAPINS, "name": calicoAPISvc, "port": int64(c.CalicoAPIPort)}}})
		if _, err := dyn.Resource(apiServiceGVR).Create(ctx, as, metav1.CreateOptions{}); createOrKeep(err) != nil {
			return fmt.Errorf("APIService: %v", err)
		}
	}
	if c.license() != licOK {
		ops := l{"CREATE", "UPDATE"}
		rules := l{m{"apiGroups": l{v3Group, crdGroup}, "apiVersions": l{"*"}, "resources": l{"remoteclusterconfigurations"},
			"operations": ops, "scope": "Cluster"}}
		if c.license() == licExpired {
			rules = l{
				m{"apiGroups": l{v3Group}, "apiVersions": l{"*"}, "resources": l{"*"}, "operations": l{"CREATE", "UPDATE", "DELETE"}, "scope": "*"},
				m{"apiGroups": l{crdGroup}, "apiVersions": l{"*"}, "resources": l{"remoteclusterconfigurations"}, "operations": l{"CREATE", "UPDATE", "DELETE"}, "scope": "*"},
			}
		}
		vwc := obj(m{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
			"metadata": m{"name": "lab-calico-license"},
			"webhooks": l{m{
				"name": "license.projectcalico.org",
				"clientConfig": m{"url": fmt.Sprintf("https://%s:%d/license-validate", c.NodeIP, c.CalicoAPIPort),
					"caBundle": caB64},
				"rules":                   rules,
				"failurePolicy":           "Fail",
				"sideEffects":             "None",
				"admissionReviewVersions": l{"v1"},
				"timeoutSeconds":          int64(5),
			}}})
		if _, err := dyn.Resource(vwcGVR).Create(ctx, vwc, metav1.CreateOptions{}); createOrKeep(err) != nil {
			return fmt.Errorf("ValidatingWebhookConfiguration: %v", err)
		}
	}
	if !c.aggregated() {
		return nil
	}
	// Wait for the APIService to be Available (the aggregator's own check).
	for {
		u, err := dyn.Resource(apiServiceGVR).Get(ctx, "v3.projectcalico.org", metav1.GetOptions{})
		if err == nil {
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, x := range conds {
				cm, _ := x.(map[string]interface{})
				if cm["type"] == "Available" && cm["status"] == "True" {
					progress("cluster %s: APIService v3.projectcalico.org is Available", c.Name)
					return nil
				}
			}
		} else if !apierrors.IsNotFound(err) && ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("APIService v3.projectcalico.org not Available after 90s (see %s)", st.path(c, "kube-apiserver.log"))
		case <-time.After(500 * time.Millisecond):
		}
	}
}
