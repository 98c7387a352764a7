package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseDataPlaneDefaults(t *testing.T) {
	got, err := parseDataPlane([]string{"iad", "pdx"}, dataPlaneFlags{nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]dataPlane{
		"iad": {PodCIDR: "10.10.0.0/16", ServiceCIDR: "10.128.0.0/16", Encap: "vxlan", NodeNames: []string{"iad-node-1", "iad-node-2"}},
		"pdx": {PodCIDR: "10.11.0.0/16", ServiceCIDR: "10.129.0.0/16", Encap: "vxlan", NodeNames: []string{"pdx-node-1", "pdx-node-2"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseDataPlaneOverrides(t *testing.T) {
	got, err := parseDataPlane([]string{"a", "b", "c"}, dataPlaneFlags{
		podCIDRs:     "b=10.50.0.0/16",
		serviceCIDRs: "a=10.96.0.0/16, c=172.20.0.0/20",
		encap:        "a=ipip,wireguard", // bare: every cluster not named
		nodes:        1,
		nodeNames:    "b=x+a-node-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]dataPlane{
		"a": {PodCIDR: "10.10.0.0/16", ServiceCIDR: "10.96.0.0/16", Encap: "ipip", NodeNames: []string{"a-node-1"}},
		"b": {PodCIDR: "10.50.0.0/16", ServiceCIDR: "10.129.0.0/16", Encap: "wireguard", NodeNames: []string{"x", "a-node-1"}},
		"c": {PodCIDR: "10.12.0.0/16", ServiceCIDR: "172.20.0.0/20", Encap: "wireguard", NodeNames: []string{"c-node-1"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseDataPlaneErrors(t *testing.T) {
	for _, tc := range []struct {
		f    dataPlaneFlags
		want string
	}{
		{dataPlaneFlags{nodes: 0}, "--nodes must be 1..20"},
		{dataPlaneFlags{nodes: 21}, "--nodes must be 1..20"},
		{dataPlaneFlags{nodes: 1, podCIDRs: "a=10.10.0.0"}, `--pod-cidrs: "10.10.0.0" is not a CIDR`},
		{dataPlaneFlags{nodes: 1, podCIDRs: "a=10.10.1.0/16"}, "host bits set (did you mean 10.10.0.0/16?)"},
		{dataPlaneFlags{nodes: 1, podCIDRs: "a=10.10.0.0/28"}, "smaller than the IPPool's blockSize /26"},
		{dataPlaneFlags{nodes: 1, podCIDRs: "a=fd00::/48"}, "not IPv4"},
		{dataPlaneFlags{nodes: 1, podCIDRs: "z=10.10.0.0/16"}, `--pod-cidrs: cluster "z" is not in --clusters`},
		{dataPlaneFlags{nodes: 1, serviceCIDRs: "a=10.0.0.0/8"}, "--service-cidrs: \"10.0.0.0/8\": a service CIDR must be /12 to /30"},
		{dataPlaneFlags{nodes: 1, serviceCIDRs: "a=10.96.0.0/33"}, "is not a CIDR"},
		{dataPlaneFlags{nodes: 1, encap: "a=gre"}, `--encap: "gre" is not one of vxlan, ipip, none, wireguard`},
		{dataPlaneFlags{nodes: 1, nodeNames: "a=x+x"}, `node name "x" given twice`},
		{dataPlaneFlags{nodes: 1, nodeNames: "a=x++y"}, `node name "" is not a DNS-1123 subdomain`},
		{dataPlaneFlags{nodes: 1, nodeNames: "a=Node_1"}, `node name "Node_1" is not a DNS-1123 subdomain`},
		{dataPlaneFlags{nodes: 1, nodeNames: "a=" + strings.Repeat("n+", 20) + "n21"}, "at most 20 nodes"},
	} {
		_, err := parseDataPlane([]string{"a", "b"}, tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got error %v, want one containing %q", tc.f, err, tc.want)
		}
	}
}

func TestNodeNamesSubdomain(t *testing.T) {
	names := "a=ip-10-0-1-2.us-east-1.compute.internal+ip-10-0-1-3.us-east-1.compute.internal"
	got, err := parseDataPlane([]string{"a"}, dataPlaneFlags{nodes: 1, nodeNames: names})
	if err != nil {
		t.Fatal(err)
	}
	if n := got["a"].NodeNames; len(n) != 2 || n[0] != "ip-10-0-1-2.us-east-1.compute.internal" {
		t.Errorf("node names %v", n)
	}
}

func TestFirstIPAndPoolModes(t *testing.T) {
	for cidr, want := range map[string]string{"10.128.0.0/16": "10.128.0.1", "10.96.0.0/12": "10.96.0.1", "172.20.255.252/30": "172.20.255.253"} {
		if got := firstIP(cidr).String(); got != want {
			t.Errorf("firstIP(%s) = %s, want %s", cidr, got, want)
		}
	}
	for encap, want := range map[string][2]string{"vxlan": {"Never", "Always"}, "ipip": {"Always", "Never"},
		"none": {"Never", "Never"}, "wireguard": {"Never", "Never"}} {
		if ipip, vxlan := poolModes(encap); [2]string{ipip, vxlan} != want {
			t.Errorf("poolModes(%s) = %s, %s; want %v", encap, ipip, vxlan, want)
		}
	}
}

func TestLegacyClusterDefaults(t *testing.T) {
	// state.json of a lab made before the data-plane flags.
	c := &Cluster{Name: "iad", NodeName: "iad-node-1", NodeIP: "127.0.0.7", PodCIDR: "10.10.0.0/16"}
	if c.serviceCIDR() != "10.96.0.0/16" || c.encap() != "vxlan" || !reflect.DeepEqual(c.nodeNames(), []string{"iad-node-1"}) {
		t.Errorf("legacy defaults: %s", c.dataPlaneSummary())
	}
	if got := c.extraNodeIP(3); got != "127.7.0.3" {
		t.Errorf("extraNodeIP(3) = %s", got)
	}
}

func TestParsePerClusterAllowed(t *testing.T) {
	if _, _, err := parsePerCluster("calico-api", "a=v3cdr", []string{"a"}, []string{"legacy", "v3crd"}, nil); err == nil {
		t.Error("a value outside the allowed ones was accepted")
	}
}
