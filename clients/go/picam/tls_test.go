package picam_test

import (
	"context"
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
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/picam/picam/clients/go/picam"
)

// writeSelfSigned writes cert.pem and key.pem for 127.0.0.1 into dir.
func writeSelfSigned(t *testing.T, dir string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "picam test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath
}

// What Dial's doc says about TLS and the token holds: a TLS option passed to
// Dial overrides its plain-text default, a plain-text Dial cannot reach a TLS
// picam, and the token travels as authorization metadata.
func TestDialTLSAndToken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPath := writeSelfSigned(t, dir)
	creds, err := credentials.NewClientTLSFromFile(certPath, "")
	if err != nil {
		t.Fatal(err)
	}
	const token = "go-test-token"
	svc := startServiceWith(t, dir, map[string]any{"tls_cert": "cert.pem", "tls_key": "key.pem", "token": token}, grpc.WithTransportCredentials(creds))
	ctx := testContext(t)

	if _, err := svc.client.Status(ctx); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("Status without the token over TLS: err = %v, want Unauthenticated", err)
	}
	st, err := svc.client.Status(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token))
	if err != nil || !st.GetServing() {
		t.Fatalf("Status with the token over TLS = %v, %v", st, err)
	}

	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if plain, err := picam.Dial(short, svc.addr); err == nil {
		plain.Close()
		t.Fatal("a plain-text Dial reached a TLS-only picam")
	}
}
