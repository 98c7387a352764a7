package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

type keyPair struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func encodeKey(k *ecdsa.PrivateKey) []byte {
	der, _ := x509.MarshalECPrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

func newCA(cn string) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"meshctl-lab"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	return &keyPair{cert: cert, key: key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  encodeKey(key)}, nil
}

// issue signs a leaf certificate. server/client select the extended key usages.
func (ca *keyPair) issue(cn string, orgs []string, dns []string, ips []net.IP, server, client bool) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	var eku []x509.ExtKeyUsage
	if server {
		eku = append(eku, x509.ExtKeyUsageServerAuth)
	}
	if client {
		eku = append(eku, x509.ExtKeyUsageClientAuth)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(5 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  eku,
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	return &keyPair{cert: cert, key: key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  encodeKey(key)}, nil
}

func (kp *keyPair) write(dir, base string) error {
	if err := os.WriteFile(filepath.Join(dir, base+".crt"), kp.certPEM, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, base+".key"), kp.keyPEM, 0o600)
}

// makePKI writes everything one cluster needs into dir:
// ca.crt/key, apiserver.crt/key, admin.crt/key (O=system:masters),
// sa.key/sa.pub (service-account signing), kubelet.crt/key (fake kubelet
// of the cluster's first node).
func makePKI(dir string, c *Cluster) error {
	cluster, nodeIP := c.Name, c.NodeIP
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ca, err := newCA("lab-" + cluster + "-ca")
	if err != nil {
		return err
	}
	if err := ca.write(dir, "ca"); err != nil {
		return err
	}
	srv, err := ca.issue("kube-apiserver", nil,
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		[]net.IP{net.ParseIP("127.0.0.1"), firstIP(c.serviceCIDR())}, true, false)
	if err != nil {
		return err
	}
	if err := srv.write(dir, "apiserver"); err != nil {
		return err
	}
	admin, err := ca.issue("lab-admin", []string{"system:masters"}, nil, nil, false, true)
	if err != nil {
		return err
	}
	if err := admin.write(dir, "admin"); err != nil {
		return err
	}
	kubelet, err := ca.issue(c.NodeName, nil, []string{c.NodeName},
		[]net.IP{net.ParseIP(nodeIP)}, true, false)
	if err != nil {
		return err
	}
	if err := kubelet.write(dir, "kubelet"); err != nil {
		return err
	}
	// The lab's Calico API server (APIService v3.projectcalico.org, reached as
	// calico-api.calico-apiserver.svc) and licence webhook, on the node IP.
	capi, err := ca.issue("calico-api", nil, []string{calicoAPISvc + "." + calicoAPINS + ".svc", calicoAPISvc + "." + calicoAPINS + ".svc.cluster.local"},
		[]net.IP{net.ParseIP(nodeIP)}, true, false)
	if err != nil {
		return err
	}
	if err := capi.write(dir, "calico-api"); err != nil {
		return err
	}
	// Aggregation: kube-apiserver's proxy client certificate, from its own CA
	// (the requestheader CA the aggregated server trusts).
	fp, err := newCA("lab-" + cluster + "-front-proxy-ca")
	if err != nil {
		return err
	}
	if err := fp.write(dir, "front-proxy-ca"); err != nil {
		return err
	}
	fpc, err := fp.issue("front-proxy-client", nil, nil, nil, false, true)
	if err != nil {
		return err
	}
	if err := fpc.write(dir, "front-proxy-client"); err != nil {
		return err
	}
	sa, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), encodeKey(sa), 0o600); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
}
