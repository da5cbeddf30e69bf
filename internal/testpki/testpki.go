// Package testpki makes a throwaway certificate authority for tests: a
// server certificate for 127.0.0.1 and a client certificate, as PEM files
// and as the tls.Config a server needs to require that client.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a CA with one server and one client certificate. The file paths
// are PEM files in a test's temporary directory.
type PKI struct {
	CAFile, CertFile, KeyFile string
	// Key is the client key file's contents: a secret tests look for.
	Key  string
	pool *x509.CertPool
	srv  tls.Certificate
}

// New makes the CA and both certificates.
func New(t testing.TB) *PKI {
	t.Helper()
	dir := t.TempDir()
	caKey, caCert, caDER := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "rollgate test CA"}, IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}, nil, nil)
	srvKey, _, srvDER := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, caCert, caKey)
	cliKey, _, cliDER := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "rollgate"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, caCert, caKey)
	p := &PKI{pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	p.CAFile = write(t, dir, "ca.pem", pemOf("CERTIFICATE", caDER))
	p.CertFile = write(t, dir, "client.pem", pemOf("CERTIFICATE", cliDER))
	p.Key = string(keyPEM(t, cliKey))
	p.KeyFile = write(t, dir, "client-key.pem", []byte(p.Key))
	var err error
	if p.srv, err = tls.X509KeyPair(pemOf("CERTIFICATE", srvDER), keyPEM(t, srvKey)); err != nil {
		t.Fatal(err)
	}
	return p
}

// ServerTLS serves the server certificate and requires a client
// certificate signed by the CA.
func (p *PKI) ServerTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.srv}, ClientCAs: p.pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
}

func issue(t testing.TB, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl.SerialNumber = serial
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert, der
}

func keyPEM(t testing.TB, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf("EC PRIVATE KEY", der)
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func write(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
