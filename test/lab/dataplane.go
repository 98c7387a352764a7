package main

// The data plane per cluster (issue 14): pod CIDR (the IPPool), service CIDR
// (kube-apiserver's --service-cluster-ip-range), encapsulation and node
// names. meshctl's preflight checks them (/work/shared/calico-mesh.md,
// "Requirements of the data plane"), so the lab must be able to build both
// meshes that pass and meshes that must be refused.

import (
	"fmt"
	"net"
	"strings"
)

const (
	encapVXLAN     = "vxlan" // the lab's original shape (default)
	encapIPIP      = "ipip"
	encapNone      = "none"
	encapWireGuard = "wireguard"

	maxNodes = 20

	// legacyServiceCIDR: what every cluster got before issue 14; a lab
	// recorded without serviceCIDR was started (and its cert issued) with it.
	legacyServiceCIDR = "10.96.0.0/16"
)

var encaps = []string{encapVXLAN, encapIPIP, encapNone, encapWireGuard}

type dataPlaneFlags struct {
	podCIDRs, serviceCIDRs, encap, nodeNames string
	nodes                                    int
}

// dataPlane is one cluster's data plane, fixed at the first up.
type dataPlane struct {
	PodCIDR, ServiceCIDR, Encap string
	NodeNames                   []string
}

func defaultPodCIDR(i int) string { return fmt.Sprintf("10.%d.0.0/16", 10+i) }

// defaultServiceCIDR: distinct per cluster (a service-CIDR overlap check
// would refuse every lab mesh otherwise) and clear of the default pod CIDRs
// 10.10-10.59 (at most 50 clusters).
func defaultServiceCIDR(i int) string { return fmt.Sprintf("10.%d.0.0/16", 128+i) }

// parseDataPlane turns the --pod-cidrs, --service-cidrs, --encap, --nodes and
// --node-names flags into each cluster's data plane.
func parseDataPlane(names []string, f dataPlaneFlags) (map[string]dataPlane, error) {
	if f.nodes < 1 || f.nodes > maxNodes {
		return nil, fmt.Errorf("--nodes must be 1..%d", maxNodes)
	}
	podDef, podM, err := parsePerCluster("pod-cidrs", f.podCIDRs, names, nil, checkPodCIDR)
	if err != nil {
		return nil, err
	}
	svcDef, svcM, err := parsePerCluster("service-cidrs", f.serviceCIDRs, names, nil, checkServiceCIDR)
	if err != nil {
		return nil, err
	}
	encDef, encM, err := parsePerCluster("encap", f.encap, names, encaps, nil)
	if err != nil {
		return nil, err
	}
	nnDef, nnM, err := parsePerCluster("node-names", f.nodeNames, names, nil, checkNodeNames)
	if err != nil {
		return nil, err
	}
	pick := func(m map[string]string, def, name, fallback string) string {
		if v, ok := m[name]; ok {
			return v
		}
		if def != "" {
			return def
		}
		return fallback
	}
	out := map[string]dataPlane{}
	for i, n := range names {
		var nodes []string
		if nn := pick(nnM, nnDef, n, ""); nn != "" {
			nodes = strings.Split(nn, "+") // an explicit list wins over --nodes
		} else {
			for k := 1; k <= f.nodes; k++ {
				nodes = append(nodes, fmt.Sprintf("%s-node-%d", n, k))
			}
		}
		out[n] = dataPlane{
			PodCIDR:     pick(podM, podDef, n, defaultPodCIDR(i)),
			ServiceCIDR: pick(svcM, svcDef, n, defaultServiceCIDR(i)),
			Encap:       pick(encM, encDef, n, encapVXLAN),
			NodeNames:   nodes,
		}
	}
	return out, nil
}

// parseIPv4Net accepts only an IPv4 network address with its prefix: the
// lab's pools are default-ipv4-ippool and its apiservers advertise 127.0.0.1.
func parseIPv4Net(s string) (*net.IPNet, error) {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a CIDR (want e.g. 10.10.0.0/16)", s)
	}
	if ip.To4() == nil {
		return nil, fmt.Errorf("%q is not IPv4 (the lab is IPv4-only)", s)
	}
	if !ip.Equal(n.IP) {
		return nil, fmt.Errorf("%q has host bits set (did you mean %s?)", s, n)
	}
	return n, nil
}

func checkPodCIDR(s string) error {
	n, err := parseIPv4Net(s)
	if err != nil {
		return err
	}
	if ones, _ := n.Mask.Size(); ones > 26 {
		return fmt.Errorf("%q is smaller than the IPPool's blockSize /26", s)
	}
	return nil
}

func checkServiceCIDR(s string) error {
	n, err := parseIPv4Net(s)
	if err != nil {
		return err
	}
	// kube-apiserver refuses more than 20 host bits; /30 still leaves room
	// for the kubernetes Service.
	if ones, _ := n.Mask.Size(); ones < 12 || ones > 30 {
		return fmt.Errorf("%q: a service CIDR must be /12 to /30 (kube-apiserver's limit is /12)", s)
	}
	return nil
}

// checkNodeNames: "a+b+c", each a DNS-1123 subdomain (what Kubernetes
// accepts as a Node name, e.g. EKS's ip-10-0-1-2.us-east-1.compute.internal).
func checkNodeNames(s string) error {
	names := strings.Split(s, "+")
	if len(names) > maxNodes {
		return fmt.Errorf("%q: at most %d nodes per cluster", s, maxNodes)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if !isDNSSubdomain(n) {
			return fmt.Errorf("node name %q is not a DNS-1123 subdomain (separate a cluster's nodes with '+')", n)
		}
		if seen[n] {
			return fmt.Errorf("node name %q given twice in one cluster", n)
		}
		seen[n] = true
	}
	return nil
}

func isDNSSubdomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !isDNSLabelN(label, 63) {
			return false
		}
	}
	return true
}

func isDNSLabelN(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i, r := range s {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || (r == '-' && i > 0 && i < len(s)-1)
		if !ok {
			return false
		}
	}
	return true
}

// firstIP is the network address + 1: kube-apiserver gives it to the
// kubernetes Service, so it belongs in the serving certificate.
func firstIP(cidr string) net.IP {
	_, n, _ := net.ParseCIDR(cidr)
	ip := make(net.IP, len(n.IP))
	copy(ip, n.IP)
	for i := len(ip) - 1; i >= 0; i-- {
		ip[i]++
		if ip[i] != 0 {
			break
		}
	}
	return ip
}

// Accessors with the defaults of labs recorded before issue 14.

func (c *Cluster) serviceCIDR() string {
	if c.ServiceCIDR == "" {
		return legacyServiceCIDR
	}
	return c.ServiceCIDR
}

func (c *Cluster) encap() string {
	if c.Encap == "" {
		return encapVXLAN
	}
	return c.Encap
}

func (c *Cluster) nodeNames() []string {
	if len(c.NodeNames) == 0 {
		return []string{c.NodeName}
	}
	return c.NodeNames
}

// extraNodeIP: the InternalIP of node k (2..) of a cluster. Nothing listens
// there (only node 1 has a fake kubelet); 127.N.0.k with N from the cluster's
// 127.0.0.N keeps it unique across clusters and labs.
func (c *Cluster) extraNodeIP(k int) string {
	n := c.NodeIP[strings.LastIndexByte(c.NodeIP, '.')+1:]
	return fmt.Sprintf("127.%s.0.%d", n, k)
}

// poolModes: the IPPool's ipipMode and vxlanMode. WireGuard needs no pool
// encapsulation: Felix's wireguardEnabled turns it on.
func poolModes(encap string) (ipip, vxlan string) {
	switch encap {
	case encapIPIP:
		return "Always", "Never"
	case encapNone, encapWireGuard:
		return "Never", "Never"
	}
	return "Never", "Always"
}

func (c *Cluster) dataPlaneSummary() string {
	return fmt.Sprintf("pods %s, services %s, encap %s, nodes %s",
		c.PodCIDR, c.serviceCIDR(), c.encap(), strings.Join(c.nodeNames(), ","))
}
