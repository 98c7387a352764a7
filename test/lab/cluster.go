package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const k8sVersion = "v1.33.13"

type upOptions struct {
	Dir                string
	Names              []string
	Replicas           int
	EKS                bool
	BinDir             string
	Recheck            time.Duration
	LossDelay          time.Duration
	LogRate            float64
	LogMaxBytes        int64
	NonCluster         bool
	SecretWatchTimeout time.Duration
	WatchTimeout       time.Duration
	Flavours           flavourFlags
	DataPlanes         map[string]dataPlane     // by cluster name
	Latency            map[string]time.Duration // one-way delay by cluster name (latency.go)
	LatencyGiven       bool                     // --latency was passed (checked against the recorded one on a re-up)
}

func up(o upOptions) error {
	start := time.Now()
	if _, err := os.Stat(statePath(o.Dir)); err == nil {
		st, err := loadState(o.Dir)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(st.names(), o.Names) || st.Replicas != o.Replicas || st.NonCluster != o.NonCluster {
			return fmt.Errorf("a lab with clusters %s (typha-replicas %d, noncluster-typha %v) is already up in %s; run `lab down --dir %s` first",
				strings.Join(st.names(), ","), st.Replicas, st.NonCluster, o.Dir, o.Dir)
		}
		for _, c := range st.Clusters {
			if o.LatencyGiven && o.Latency[c.Name] != c.latency() {
				return fmt.Errorf("cluster %s of the lab in %s has latency %s, fixed at the first up; run `lab down --dir %s` first to change it",
					c.Name, o.Dir, c.latency(), o.Dir)
			}
		}
		if o.EKS && !st.EKS {
			st.EKS = true
			if err := st.save(); err != nil {
				return err
			}
		}
		progress("lab already exists in %s; making sure everything runs (Calico flavours and data plane as recorded at the first up)", o.Dir)
		if err := registerLab(o.Dir); err != nil { // (a lab made before labs registered)
			return err
		}
		if err := ensureRunning(st); err != nil {
			return err
		}
		if err := registerCalicoServers(st); err != nil {
			return err
		}
		if err := writeKubeconfigs(st); err != nil {
			return err
		}
		if err := waitFronts(st); err != nil {
			return err
		}
		fmt.Println(st.kubeconfigPath())
		return nil
	}

	binDir := o.BinDir
	if binDir == "" {
		var err error
		if binDir, err = buildBinaries(); err != nil {
			return err
		}
	}
	for _, b := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			return fmt.Errorf("binary %s missing in %s", b, binDir)
		}
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return err
	}
	st := &State{Dir: o.Dir, BinDir: binDir, Replicas: o.Replicas, EKS: o.EKS,
		Recheck: o.Recheck.String(), LossDelay: o.LossDelay.String(), LogRate: o.LogRate, LogMaxBytes: o.LogMaxBytes,
		NonCluster: o.NonCluster, Created: time.Now().UTC()}
	if o.SecretWatchTimeout > 0 {
		st.SecretWatchTimeout = o.SecretWatchTimeout.String()
	}
	if o.WatchTimeout > 0 {
		st.WatchTimeout = o.WatchTimeout.String()
	}
	if err := allocateAndRegister(st, o); err != nil {
		return err
	}
	for _, c := range st.Clusters {
		if err := createCluster(st, c); err != nil {
			return fmt.Errorf("cluster %s: %v\n(state kept for inspection; clean up with `lab down --dir %s`)", c.Name, err, st.Dir)
		}
	}
	if err := writeKubeconfigs(st); err != nil {
		return err
	}
	if err := startSupervisor(st); err != nil {
		return err
	}
	if err := registerCalicoServers(st); err != nil {
		return err
	}
	if err := waitFronts(st); err != nil {
		return err
	}
	progress("%d cluster(s) up in %.1fs; KUBECONFIG=%s", len(st.Clusters), time.Since(start).Seconds(), st.kubeconfigPath())
	fmt.Println(st.kubeconfigPath())
	return nil
}

// buildBinaries runs build-binaries.sh (which caches by version) and returns
// the directory it prints.
func buildBinaries() (string, error) {
	src := os.Getenv("MESHCTL_LAB_SRC")
	if src == "" {
		return "", fmt.Errorf("MESHCTL_LAB_SRC is not set (run through test/lab/lab) and no --bin-dir given")
	}
	cmd := exec.Command("bash", filepath.Join(src, "build-binaries.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("build-binaries.sh failed: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

// allocateAndRegister picks the lab's ports and addresses, records them in
// state.json and registers the lab, all under the machine-wide lock, so
// that a lab started at the same time does not pick them too (see
// lockClaims).
func allocateAndRegister(st *State, o upOptions) error {
	unlock, err := lockClaims()
	if err != nil {
		return err
	}
	defer unlock()
	if err := allocate(st, o.Names, o.DataPlanes, otherLabsClaims(st.Dir), o.Latency); err != nil {
		return err
	}
	if err := applyFlavours(st, o.Flavours); err != nil {
		return err
	}
	if err := st.save(); err != nil {
		return err
	}
	return registerLab(st.Dir)
}

// allocate picks ports and node addresses that are free now and that no
// other lab has claimed (it may not have bound them yet).
func allocate(st *State, names []string, dps map[string]dataPlane, taken claims, latency map[string]time.Duration) error {
	base := 16440
	n := 2
	for i, name := range names {
		dp := dps[name]
		c := &Cluster{Name: name, Index: i, NodeName: dp.NodeNames[0], NodeNames: dp.NodeNames,
			PodCIDR: dp.PodCIDR, ServiceCIDR: dp.ServiceCIDR, Encap: dp.Encap}
		for ; ; base += 10 {
			if base > 30000 {
				return fmt.Errorf("no free port block found on 127.0.0.1")
			}
			claimed := false
			for _, p := range []int{base, base + 1, base + 3, base + 4} {
				if _, ok := taken.ports[p]; ok {
					claimed = true
				}
			}
			front := latency[name] > 0
			if !claimed && portFree("127.0.0.1", base) && portFree("127.0.0.1", base+1) && portFree("127.0.0.1", base+3) &&
				(!front || portFree("127.0.0.1", base+4)) {
				c.EtcdPort, c.EtcdPeerPort, c.APIPort = base, base+1, base+3
				if front {
					c.FrontPort, c.Latency = base+4, latency[name].String()
				}
				base += 10
				break
			}
		}
		for ; ; n++ {
			if n > 250 {
				return fmt.Errorf("no free 127.0.0.N:%d found", kubeletPort)
			}
			ip := fmt.Sprintf("127.0.0.%d", n)
			_, claimed := taken.ips[ip]
			ok := !claimed && portFree(ip, kubeletPort) && portFree(ip, calicoAPIPort)
			for r := 0; ok && r <= st.Replicas; r++ {
				ok = portFree(ip, 9093+r)
			}
			if ok {
				c.NodeIP = ip
				n++
				break
			}
		}
		hash := shortHash(name+"/calico-typha", 10)
		for r := 0; r < st.Replicas; r++ {
			c.TyphaPods = append(c.TyphaPods, fmt.Sprintf("calico-typha-%s-%s", hash, shortHash(fmt.Sprintf("%s/%d", name, r), 5)))
			c.MetricsPorts = append(c.MetricsPorts, 9093+r)
		}
		if st.NonCluster {
			c.NonClusterPods = []string{fmt.Sprintf("%s-%s-%s", depNonCluster, shortHash(name+"/"+depNonCluster, 10), shortHash(name+"/nc/0", 5))}
			c.NonClusterMetricsPorts = []int{9093 + st.Replicas}
		}
		c.KCPod = fmt.Sprintf("%s-%s-%s", depKC, shortHash(name+"/"+depKC, 10), shortHash(name+"/kc/0", 5))
		st.Clusters = append(st.Clusters, c)
	}
	return nil
}

func shortHash(s string, n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	var h uint64 = 1469598103934665603
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[h%uint64(len(alphabet))]
		h /= uint64(len(alphabet))
		if h == 0 {
			h = 1469598103934665603 + uint64(i)*7919
		}
	}
	return string(out)
}

func createCluster(st *State, c *Cluster) error {
	t0 := time.Now()
	progress("cluster %s: etcd 127.0.0.1:%d, kube-apiserver %s, node %s (%s); %s", c.Name, c.EtcdPort, st.apiURL(c), c.NodeName, c.NodeIP, c.dataPlaneSummary())
	for _, d := range []string{st.path(c, "pki"), st.path(c, "logs"), st.path(c, "typha"), st.path(c, "etcd-data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if _, err := os.Stat(st.pki(c, "sa.pub")); err != nil {
		if err := makePKI(st.path(c, "pki"), c); err != nil {
			return err
		}
	}
	if err := os.WriteFile(st.path(c, "audit-policy.yaml"), []byte(auditPolicy), 0o644); err != nil {
		return err
	}
	if err := writeAdminKubeconfig(st, c); err != nil {
		return err
	}
	if err := startEtcd(st, c); err != nil {
		return err
	}
	if err := startAPIServer(st, c); err != nil {
		return err
	}
	if err := startKCM(st, c); err != nil {
		return err
	}
	if err := bootstrap(st, c); err != nil {
		return fmt.Errorf("creating objects: %v", err)
	}
	c.Ready = true
	if err := st.save(); err != nil {
		return err
	}
	progress("cluster %s ready in %.1fs", c.Name, time.Since(t0).Seconds())
	return nil
}

// Metadata level for everything: benchmarks count requests per user agent.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
`

func ensureRunning(st *State) error {
	for _, c := range st.Clusters {
		if !c.Ready { // an earlier up stopped half-way: finish this cluster
			if err := createCluster(st, c); err != nil {
				return fmt.Errorf("cluster %s: %v", c.Name, err)
			}
		}
		if err := startEtcd(st, c); err != nil {
			return err
		}
		continueIfPaused(st, c)
		if err := startAPIServer(st, c); err != nil {
			return err
		}
		os.Remove(st.path(c, "kcm.off"))
		if err := startKCM(st, c); err != nil {
			return err
		}
		for _, p := range c.pods() {
			os.Remove(st.path(c, "typha", p.Name+".stopped"))
		}
	}
	return startSupervisor(st)
}

// --- components ----------------------------------------------------------

func componentPidfile(st *State, c *Cluster, name string) string { return st.path(c, name+".pid") }

func checkPorts(ip string, ports ...int) error {
	for _, p := range ports {
		if !portFree(ip, p) {
			return fmt.Errorf("port %s:%d is taken by another process", ip, p)
		}
	}
	return nil
}

func startEtcd(st *State, c *Cluster) error {
	pf := componentPidfile(st, c, "etcd")
	if _, ok := st.alive(pf); ok {
		return nil
	}
	if err := checkPorts("127.0.0.1", c.EtcdPort, c.EtcdPeerPort); err != nil {
		return fmt.Errorf("etcd: %v", err)
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", c.EtcdPort)
	peer := fmt.Sprintf("http://127.0.0.1:%d", c.EtcdPeerPort)
	args := []string{
		"--name", c.Name,
		"--data-dir", st.path(c, "etcd-data"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", c.Name + "=" + peer,
		"--unsafe-no-fsync",
		"--log-level", "warn",
		"--quota-backend-bytes", strconv.Itoa(2 << 30),
	}
	if _, err := startDetached(filepath.Join(st.BinDir, "etcd"), args, st.path(c, "etcd.log"), pf); err != nil {
		return err
	}
	return waitFor(fmt.Sprintf("%s etcd", c.Name), 60*time.Second, pf, st, st.path(c, "etcd.log"), func() bool {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(client + "/health")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && bytes.Contains(b, []byte(`"true"`))
	})
}

func startAPIServer(st *State, c *Cluster) error {
	pf := componentPidfile(st, c, "kube-apiserver")
	if _, ok := st.alive(pf); !ok {
		if err := checkPorts("127.0.0.1", c.APIPort); err != nil {
			return fmt.Errorf("kube-apiserver: %v", err)
		}
		pki := func(f string) string { return st.pki(c, f) }
		args := []string{
			"--etcd-servers", fmt.Sprintf("http://127.0.0.1:%d", c.EtcdPort),
			"--bind-address", "127.0.0.1",
			"--advertise-address", "127.0.0.1",
			"--secure-port", strconv.Itoa(c.APIPort),
			"--tls-cert-file", pki("apiserver.crt"),
			"--tls-private-key-file", pki("apiserver.key"),
			"--client-ca-file", pki("ca.crt"),
			"--authorization-mode", "RBAC",
			"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file", pki("sa.pub"),
			"--service-account-signing-key-file", pki("sa.key"),
			"--service-cluster-ip-range", c.serviceCIDR(),
			"--endpoint-reconciler-type", "none",
			"--enable-priority-and-fairness=false",
			"--profiling=false",
			"--allow-privileged=true",
			"--kubelet-preferred-address-types", "InternalIP",
			"--audit-policy-file", st.path(c, "audit-policy.yaml"),
			"--audit-log-path", st.path(c, "audit.log"),
			"--audit-log-maxsize", "200",
			"--audit-log-maxbackup", "2",
			"--v", "1",
		}
		if _, err := os.Stat(pki("front-proxy-ca.crt")); err == nil {
			// API aggregation (the Calico API server of --calico-api apiserver).
			args = append(args,
				"--requestheader-client-ca-file", pki("front-proxy-ca.crt"),
				"--requestheader-allowed-names", "front-proxy-client",
				"--requestheader-username-headers", "X-Remote-User",
				"--requestheader-group-headers", "X-Remote-Group",
				"--requestheader-extra-headers-prefix", "X-Remote-Extra-",
				"--proxy-client-cert-file", pki("front-proxy-client.crt"),
				"--proxy-client-key-file", pki("front-proxy-client.key"))
		}
		if _, err := startDetached(filepath.Join(st.BinDir, "kube-apiserver"), args, st.path(c, "kube-apiserver.log"), pf); err != nil {
			return err
		}
	}
	hc, err := adminHTTPClient(st, c)
	if err != nil {
		return err
	}
	return waitFor(fmt.Sprintf("%s kube-apiserver", c.Name), 240*time.Second, pf, st, st.path(c, "kube-apiserver.log"), func() bool {
		resp, err := hc.Get(st.apiURL(c) + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode == 200
	})
}

func startKCM(st *State, c *Cluster) error {
	pf := componentPidfile(st, c, "kube-controller-manager")
	if _, ok := st.alive(pf); ok {
		return nil
	}
	if _, err := os.Stat(st.path(c, "kcm.off")); err == nil {
		return nil
	}
	args := []string{
		"--kubeconfig", st.path(c, "admin.kubeconfig"),
		// endpoint, endpointslice: Endpoints and EndpointSlices of selector
		// Services from their pods (`lab pods`); endpointslicemirroring:
		// EndpointSlices from the Endpoints of selector-less Services (the
		// federated ones); namespace: a deleted namespace is emptied and
		// goes, as in any cluster. No node-lifecycle or pod-GC controller
		// runs, so nothing evicts or deletes the lab's pods.
		"--controllers", "serviceaccount-token,serviceaccount,endpoint,endpointslice,endpointslicemirroring,namespace",
		"--service-account-private-key-file", st.pki(c, "sa.key"),
		"--root-ca-file", st.pki(c, "ca.crt"),
		"--use-service-account-credentials=false",
		"--leader-elect=false",
		"--secure-port", "0",
		"--v", "1",
	}
	_, err := startDetached(filepath.Join(st.BinDir, "kube-controller-manager"), args, st.path(c, "kube-controller-manager.log"), pf)
	return err
}

func stopComponent(st *State, c *Cluster, name string) error {
	pf := componentPidfile(st, c, name)
	pid, ok := st.alive(pf)
	if !ok {
		progress("%s %s is not running", c.Name, name)
		os.Remove(pf)
		return nil
	}
	grace := 20 * time.Second
	if name == "kube-apiserver" {
		// It stops listening within milliseconds of SIGTERM, but was seen to
		// linger 20 s after that (every request drained): do not wait for it.
		grace = 5 * time.Second
	}
	st.stopPid(pid, grace)
	os.Remove(pf)
	progress("%s %s stopped (pid %d)", c.Name, name, pid)
	return nil
}

// waitFor polls ok until it holds, the process dies, or the timeout passes.
func waitFor(what string, timeout time.Duration, pidfile string, st *State, logfile string, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if ok() {
			return nil
		}
		if pid, alive := st.alive(pidfile); !alive {
			// The reaper goroutine may need a while on a busy machine to learn
			// how the process ended: wait for it (up to 2 s) rather than guess.
			return fmt.Errorf("%s exited during start-up (%s); last lines of %s:\n%s",
				what, howEnded(pid, 2*time.Second), logfile, tail(logfile, 15))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s; see %s:\n%s", what, timeout, logfile, tail(logfile, 15))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func tail(file string, n int) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// --- clients and kubeconfigs ----------------------------------------------

func adminHTTPClient(st *State, c *Cluster) (*http.Client, error) {
	cert, err := tls.LoadX509KeyPair(st.pki(c, "admin.crt"), st.pki(c, "admin.key"))
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(st.pki(c, "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool},
	}}, nil
}

func adminRestConfig(st *State, c *Cluster) *rest.Config {
	return &rest.Config{
		Host: st.apiURL(c),
		TLSClientConfig: rest.TLSClientConfig{
			CAFile: st.pki(c, "ca.crt"), CertFile: st.pki(c, "admin.crt"), KeyFile: st.pki(c, "admin.key"),
		},
		QPS: 100, Burst: 200, Timeout: 15 * time.Second,
		UserAgent: "meshctl-lab",
	}
}

func adminClient(st *State, c *Cluster) (*kubernetes.Clientset, error) {
	return kubernetes.NewForConfig(adminRestConfig(st, c))
}

func readAll(files ...string) ([][]byte, error) {
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func writeAdminKubeconfig(st *State, c *Cluster) error {
	cfg := clientcmdapi.NewConfig()
	if err := addCluster(st, c, cfg, "lab-"+c.Name, "lab-"+c.Name+"-admin", c.Name, st.apiURL(c)); err != nil {
		return err
	}
	cfg.CurrentContext = c.Name
	return clientcmd.WriteToFile(*cfg, st.path(c, "admin.kubeconfig"))
}

func addCluster(st *State, c *Cluster, cfg *clientcmdapi.Config, clusterName, userName, ctxName, server string) error {
	b, err := readAll(st.pki(c, "ca.crt"), st.pki(c, "admin.crt"), st.pki(c, "admin.key"))
	if err != nil {
		return err
	}
	cl := clientcmdapi.NewCluster()
	cl.Server = server
	cl.CertificateAuthorityData = b[0]
	cfg.Clusters[clusterName] = cl
	u := clientcmdapi.NewAuthInfo()
	u.ClientCertificateData = b[1]
	u.ClientKeyData = b[2]
	cfg.AuthInfos[userName] = u
	cx := clientcmdapi.NewContext()
	cx.Cluster = clusterName
	cx.AuthInfo = userName
	cfg.Contexts[ctxName] = cx
	return nil
}

func eksARN(name string) string { return "arn:aws:eks:us-east-1:111122223333:cluster/" + name }

func writeKubeconfigs(st *State) error {
	cfg := clientcmdapi.NewConfig()
	for _, c := range st.Clusters {
		if err := addCluster(st, c, cfg, "lab-"+c.Name, "lab-"+c.Name+"-admin", c.Name, st.serverURL(c)); err != nil {
			return err
		}
	}
	cfg.CurrentContext = st.Clusters[0].Name
	if err := clientcmd.WriteToFile(*cfg, st.kubeconfigPath()); err != nil {
		return err
	}
	if !st.EKS {
		return nil
	}
	eks := clientcmdapi.NewConfig()
	for _, c := range st.Clusters {
		if err := addCluster(st, c, eks, eksARN(c.Name), eksARN(c.Name), c.Name+"-eks", st.serverURL(c)); err != nil {
			return err
		}
	}
	eks.CurrentContext = st.Clusters[0].Name + "-eks"
	return clientcmd.WriteToFile(*eks, filepath.Join(st.Dir, "kubeconfig-eks"))
}

// --- down / status -------------------------------------------------------

func down(dir string) error {
	st, err := loadState(dir)
	if err != nil {
		if _, statErr := os.Stat(dir); os.IsNotExist(statErr) {
			progress("nothing to stop in %s", dir)
			return nil
		}
		return err
	}
	st.stopPidfile(filepath.Join(st.Dir, "supervisor.pid"), 20*time.Second)
	for _, c := range st.Clusters {
		for _, p := range c.pods() {
			st.stopPidfile(st.path(c, "typha", p.Name+".pid"), 5*time.Second)
		}
		for _, comp := range []string{"kube-controller-manager", "kube-apiserver", "etcd"} {
			pf := componentPidfile(st, c, comp)
			if pid, ok := st.alive(pf); ok {
				progress("stopping %s %s (pid %d)", c.Name, comp, pid)
			}
			st.stopPidfile(pf, 20*time.Second)
		}
	}
	// Remove only what the lab wrote.
	for _, f := range []string{"clusters", "kubeconfig", "kubeconfig-eks", "supervisor.log", "supervisor.pid", "state.json", "state.json.tmp"} {
		os.RemoveAll(filepath.Join(dir, f))
	}
	os.Remove(dir) // only if empty
	unregisterLab(dir)
	progress("lab in %s is down", dir)
	return nil
}

func status(dir string) error {
	st, err := loadState(dir)
	if err != nil {
		return err
	}
	fmt.Printf("lab %s  KUBECONFIG=%s  binaries %s\n", st.Dir, st.kubeconfigPath(), st.BinDir)
	sp, sok := st.alive(filepath.Join(st.Dir, "supervisor.pid"))
	fmt.Printf("supervisor (fake kubelets, Typha stand-ins): %s\n", runState(sp, sok))
	for _, c := range st.Clusters {
		fmt.Printf("cluster %s: context %s, apiserver %s, etcd 127.0.0.1:%d, node %s %s kubelet :%d; %s\n",
			c.Name, c.Name, st.apiURL(c), c.EtcdPort, c.NodeName, c.NodeIP, kubeletPort, c.dataPlaneSummary())
		fmt.Printf("  %s\n", c.flavourSummary())
		if c.FrontPort != 0 {
			fmt.Printf("  latency front %s (kubeconfig server), %s each way\n", st.serverURL(c), c.latency())
		}
		total := 0
		for _, comp := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
			pid, ok := st.alive(componentPidfile(st, c, comp))
			extra := ""
			if ok {
				kb := rssKB(pid)
				total += kb
				extra = fmt.Sprintf(" rss %d MB", kb/1024)
			} else if comp == "kube-controller-manager" {
				if _, err := os.Stat(st.path(c, "kcm.off")); err == nil {
					extra = " (token controller switched off)"
				}
			}
			fmt.Printf("  %-24s %s%s\n", comp, runState(pid, ok), extra)
		}
		fmt.Printf("  %-24s %d MB\n", "control-plane rss", total/1024)
		for _, p := range c.pods() {
			pid, ok := st.alive(st.path(c, "typha", p.Name+".pid"))
			extra := ""
			if _, err := os.Stat(st.path(c, "typha", p.Name+".stopped")); err == nil {
				extra = " (stopped by stop-typha)"
			}
			if p.Metrics != 0 {
				extra = fmt.Sprintf(" metrics http://%s:%d/metrics", c.NodeIP, p.Metrics) + extra
			}
			fmt.Printf("  %s %s %s, container run %d, log %s%s\n", p.Kind, p.Name, runState(pid, ok), st.currentRun(c, p.Name), st.typhaLog(c, p.Name), extra)
		}
	}
	return nil
}

func runState(pid int, ok bool) string {
	if ok {
		return fmt.Sprintf("running (pid %d)", pid)
	}
	return "not running"
}

var _ = context.Background
