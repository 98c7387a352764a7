package main

// The lab's stand-in for Calico Enterprise's aggregated API server (flavours
// apiserver and migrating) and its licence admission webhook. Run by the
// supervisor on https://NodeIP:5443, as the calico-apiserver pod would be.
//
// Aggregated API: kube-apiserver proxies /apis/projectcalico.org/v3/... here
// (APIService v3.projectcalico.org -> ExternalName Service
// calico-apiserver/calico-api), authenticating itself with its front-proxy
// client certificate and naming the user in X-Remote-User/-Group. As the real
// server, this one authorizes the user with a SubjectAccessReview on
// projectcalico.org, and stores the objects in the crd.projectcalico.org/v1
// CRDs (forwarding with the lab's admin credentials, rewriting the group).
// Then, per cluster: the licence check (403) and the server-side apply bug
// (500) of Calico issue 4959.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

type calicoAPI struct {
	st       *State
	c        *Cluster
	cs       *kubernetes.Clientset // admin: SubjectAccessReviews
	upstream *http.Client          // admin client certificate, no timeout (watches)
}

func (sv *supervisor) calicoServer(c *Cluster) (*http.Server, error) {
	st := sv.st
	cert, err := tls.LoadX509KeyPair(st.pki(c, "calico-api.crt"), st.pki(c, "calico-api.key"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if b, err := os.ReadFile(st.pki(c, "front-proxy-ca.crt")); err == nil {
		pool.AppendCertsFromPEM(b)
	}
	admin, err := tls.LoadX509KeyPair(st.pki(c, "admin.crt"), st.pki(c, "admin.key"))
	if err != nil {
		return nil, err
	}
	caPool := x509.NewCertPool()
	if b, err := os.ReadFile(st.pki(c, "ca.crt")); err == nil {
		caPool.AppendCertsFromPEM(b)
	}
	cs, err := adminClient(st, c)
	if err != nil {
		return nil, err
	}
	a := &calicoAPI{st: st, c: c, cs: cs, upstream: &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{admin}, RootCAs: caPool},
	}}}
	ln, err := net.Listen("tcp", net.JoinHostPort(c.NodeIP, strconv.Itoa(c.CalicoAPIPort)))
	if err != nil {
		return nil, fmt.Errorf("calico API server for %s: %v", c.Name, err)
	}
	srv := &http.Server{Handler: a, ErrorLog: log.New(io.Discard, "", 0), TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}}
	go func() {
		if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog("calico API server %s: %v", c.Name, err)
		}
	}()
	return srv, nil
}

// status writes a metav1.Status as the Kubernetes API machinery does.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string, details *metav1.StatusDetails) {
	s := metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure,
		Message: msg, Reason: reason, Details: details, Code: int32(code)}
	b, _ := json.Marshal(s)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
	w.Write([]byte("\n"))
}

func writeJSON(w http.ResponseWriter, v interface{}) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func (a *calicoAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch p {
	case "/healthz", "/readyz", "/livez":
		io.WriteString(w, "ok")
		return
	case "/license-validate":
		a.licenseWebhook(w, r)
		return
	}
	if !a.c.aggregated() {
		writeStatus(w, 404, metav1.StatusReasonNotFound, "the server could not find the requested resource", nil)
		return
	}
	// Only kube-apiserver (front-proxy client certificate) may call.
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "front-proxy-client" {
		writeStatus(w, 401, metav1.StatusReasonUnauthorized, "Unauthorized", nil)
		return
	}
	user := r.Header.Get("X-Remote-User")
	groups := r.Header.Values("X-Remote-Group")
	extra := map[string]authzv1.ExtraValue{}
	for k, v := range r.Header {
		if strings.HasPrefix(k, "X-Remote-Extra-") {
			extra[strings.ToLower(strings.TrimPrefix(k, "X-Remote-Extra-"))] = v
		}
	}
	gv := metav1.GroupVersionForDiscovery{GroupVersion: "projectcalico.org/v3", Version: "v3"}
	switch strings.TrimSuffix(p, "/") {
	case "/apis":
		writeJSON(w, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
			Groups: []metav1.APIGroup{{Name: v3Group, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv}}})
		return
	case "/apis/projectcalico.org":
		writeJSON(w, metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"},
			Name: v3Group, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv})
		return
	case "/apis/projectcalico.org/v3":
		rl := metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "projectcalico.org/v3"}
		for _, k := range calicoKinds {
			rl.APIResources = append(rl.APIResources, metav1.APIResource{Name: k.plural, SingularName: lower(k.kind),
				Namespaced: false, Kind: k.kind,
				Verbs: metav1.Verbs{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}})
		}
		writeJSON(w, rl)
		return
	}
	const prefix = "/apis/projectcalico.org/v3/"
	if !strings.HasPrefix(p, prefix) {
		writeStatus(w, 404, metav1.StatusReasonNotFound, "the server could not find the requested resource", nil)
		return
	}
	rest := strings.TrimPrefix(p, prefix)
	parts := strings.Split(rest, "/")
	plural, name := parts[0], ""
	if len(parts) > 1 {
		name = parts[1]
	}
	if calicoKind(plural) == "" || len(parts) > 2 {
		writeStatus(w, 404, metav1.StatusReasonNotFound, "the server could not find the requested resource", nil)
		return
	}
	q := r.URL.Query()
	watching := q.Get("watch") == "true" || q.Get("watch") == "1"
	verb := ""
	switch r.Method {
	case http.MethodGet:
		verb = "get"
		if name == "" {
			verb = "list"
			if watching {
				verb = "watch"
			}
		}
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
	case http.MethodDelete:
		verb = "delete"
		if name == "" {
			verb = "deletecollection"
		}
	default:
		writeStatus(w, 405, metav1.StatusReasonMethodNotAllowed, "method not allowed", nil)
		return
	}
	details := &metav1.StatusDetails{Name: name, Group: v3Group, Kind: plural}
	sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{User: user, Groups: groups, Extra: extra,
		ResourceAttributes: &authzv1.ResourceAttributes{Group: v3Group, Version: "v3", Resource: plural, Name: name, Verb: verb}}}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	res, err := a.cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
	cancel()
	if err != nil {
		writeStatus(w, 500, "", "authorization: "+err.Error(), nil)
		return
	}
	if !res.Status.Allowed {
		who := fmt.Sprintf("%s.%s", plural, v3Group)
		if name != "" {
			who += fmt.Sprintf(" %q", name)
		}
		msg := fmt.Sprintf("%s is forbidden: User %q cannot %s resource %q in API group %q at the cluster scope", who, user, verb, plural, v3Group)
		if res.Status.Reason != "" {
			msg += ": " + res.Status.Reason
		}
		writeStatus(w, 403, metav1.StatusReasonForbidden, msg, details)
		return
	}
	// Licence: without one, RCC create/update are refused; expired, every
	// write of a Calico resource (the mesh keeps running).
	write := verb == "create" || verb == "update" || verb == "patch" || verb == "delete" || verb == "deletecollection"
	switch {
	case a.c.license() == licMissing && plural == "remoteclusterconfigurations" && (verb == "create" || verb == "update" || verb == "patch"),
		a.c.license() == licExpired && write:
		writeStatus(w, 403, metav1.StatusReasonForbidden, licenseMessage, details)
		return
	}
	// The old Calico API server had no YAML serializer for server-side apply.
	if a.c.ApplyBug && r.Method == http.MethodPatch && strings.HasPrefix(r.Header.Get("Content-Type"), "application/apply-patch") {
		writeStatus(w, 500, "", "no serializer defined for application/yaml", nil)
		return
	}
	a.forward(w, r, rest, plural, verb, watching)
}

// forward stores through the crd.projectcalico.org/v1 CRDs.
func (a *calicoAPI) forward(w http.ResponseWriter, r *http.Request, rest, plural, verb string, watching bool) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			writeStatus(w, 400, metav1.StatusReasonBadRequest, err.Error(), nil)
			return
		}
		body = bytes.ReplaceAll(b, []byte(v3Group+"/v3"), []byte(crdGroup+"/v1"))
		if plural == "remoteclusterconfigurations" && (verb == "create" || verb == "update") {
			body = a.defaultRouting(r.Context(), body)
		}
	}
	u := a.st.apiURL(a.c) + "/apis/" + crdGroup + "/v1/" + rest
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u, bytes.NewReader(body))
	if err != nil {
		writeStatus(w, 500, "", err.Error(), nil)
		return
	}
	for _, h := range []string{"Content-Type", "Accept"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	if body == nil {
		req.ContentLength = 0
	}
	resp, err := a.upstream.Do(req)
	if err != nil {
		writeStatus(w, 503, metav1.StatusReasonServiceUnavailable, "storage: "+err.Error(), nil)
		return
	}
	defer resp.Body.Close()
	for _, h := range []string{"Content-Type", "Cache-Control", "Audit-Id"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	if !watching {
		b, _ := io.ReadAll(resp.Body)
		w.Write(rewriteOut(b))
		return
	}
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if _, werr := w.Write(rewriteOut(line)); werr != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// rewriteOut shows the stored objects (and error texts) in projectcalico.org/v3.
func rewriteOut(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte(crdGroup+"/v1"), []byte(v3Group+"/v3"))
	return bytes.ReplaceAll(b, []byte(crdGroup), []byte(v3Group))
}

// defaultRouting: in API-server mode an RCC without overlayRoutingMode gets
// Enabled when the local cluster uses VXLAN (an IPPool whose vxlanMode is not
// Never) or WireGuard (FelixConfiguration default). JSON bodies only.
func (a *calicoAPI) defaultRouting(ctx context.Context, body []byte) []byte {
	var o map[string]interface{}
	if json.Unmarshal(body, &o) != nil {
		return body
	}
	spec, _ := o["spec"].(map[string]interface{})
	if spec == nil {
		spec = map[string]interface{}{}
		o["spec"] = spec
	}
	so, _ := spec["syncOptions"].(map[string]interface{})
	if so != nil {
		if v, _ := so["overlayRoutingMode"].(string); v != "" {
			return body
		}
	}
	overlay := false
	get := func(path string) map[string]interface{} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.st.apiURL(a.c)+path, nil)
		if err != nil {
			return nil
		}
		resp, err := a.upstream.Do(req)
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var x map[string]interface{}
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&x) != nil {
			return nil
		}
		return x
	}
	if pools := get("/apis/" + crdGroup + "/v1/ippools"); pools != nil {
		items, _ := pools["items"].([]interface{})
		for _, it := range items {
			im, _ := it.(map[string]interface{})
			ps, _ := im["spec"].(map[string]interface{})
			if v, _ := ps["vxlanMode"].(string); v != "" && v != "Never" {
				overlay = true
			}
		}
	}
	if fc := get("/apis/" + crdGroup + "/v1/felixconfigurations/default"); fc != nil {
		fs, _ := fc["spec"].(map[string]interface{})
		if v, _ := fs["wireguardEnabled"].(bool); v {
			overlay = true
		}
		if v, _ := fs["wireguardEnabledV6"].(bool); v {
			overlay = true
		}
	}
	if !overlay {
		return body
	}
	if so == nil {
		so = map[string]interface{}{}
		spec["syncOptions"] = so
	}
	so["overlayRoutingMode"] = "Enabled"
	nb, err := json.Marshal(o)
	if err != nil {
		return body
	}
	return nb
}

// licenseWebhook: the ValidatingWebhookConfiguration lab-calico-license sends
// RCC writes (licence missing) or every projectcalico.org write (expired).
func (a *calicoAPI) licenseWebhook(w http.ResponseWriter, r *http.Request) {
	var rev admissionv1.AdmissionReview
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&rev); err != nil || rev.Request == nil {
		http.Error(w, "bad AdmissionReview", http.StatusBadRequest)
		return
	}
	resp := &admissionv1.AdmissionResponse{UID: rev.Request.UID, Allowed: true}
	lic := a.c.license()
	op := rev.Request.Operation
	isRCC := rev.Request.Resource.Resource == "remoteclusterconfigurations"
	if (lic == licMissing && isRCC && (op == admissionv1.Create || op == admissionv1.Update)) ||
		(lic == licExpired && (op == admissionv1.Create || op == admissionv1.Update || op == admissionv1.Delete)) {
		resp.Allowed = false
		resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden, Message: licenseMessage}
	}
	writeJSON(w, admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Response: resp})
}
