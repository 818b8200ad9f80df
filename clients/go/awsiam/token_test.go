package awsiam

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/go-sql-driver/mysql"
)

// The protocol's test vectors (docs/protocol.rst), the file every implementation reads.
func vectors(t *testing.T) map[string][]map[string]any {
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "..", "..", "plugin", "auth_awsiam", "core", "testdata", "protocol-vectors.json")
	if dir := os.Getenv("AUTH_AWSIAM_TESTDATA"); dir != "" {
		path = filepath.Join(dir, "protocol-vectors.json")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	out := map[string][]map[string]any{}
	for _, k := range []string{"tokens"} {
		for _, e := range v[k].([]any) {
			out[k] = append(out[k], e.(map[string]any))
		}
	}
	return out
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func TestTokensMatchTheVectors(t *testing.T) {
	for _, v := range vectors(t)["tokens"] {
		now, err := time.Parse(time.RFC3339, str(v["time"]))
		if err != nil {
			t.Fatal(err)
		}
		creds := aws.Credentials{AccessKeyID: str(v["access_key_id"]), SecretAccessKey: str(v["secret_access_key"]), SessionToken: str(v["session_token"])}
		got, err := sign(context.Background(), str(v["host"]), str(v["region"]), str(v["server_id"]), creds, now)
		if err != nil {
			t.Fatal(err)
		}
		if got != str(v["token"]) {
			t.Errorf("%s: got %s, the vectors say %s", str(v["name"]), got, str(v["token"]))
		}
	}
}

func TestEndpointAuthority(t *testing.T) {
	for in, want := range map[string]string{"http://127.0.0.1:4566": "127.0.0.1:4566", "https://STS.example.com/": "sts.example.com"} {
		if got, err := endpointAuthority(in); err != nil || got != want {
			t.Errorf("%s: got %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"ftp://x", "https://x/path", "nohost"} {
		if _, err := endpointAuthority(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestATokenGoesOnlyToAServerThatProvedItself(t *testing.T) {
	cfg := func(net, addr string, tlsCfg *tls.Config) *mysql.Config {
		c := mysql.NewConfig()
		c.Net, c.Addr, c.TLS = net, addr, tlsCfg
		return c
	}
	for name, c := range map[string]*mysql.Config{
		"plain TCP":   cfg("tcp", "db1:3306", nil),
		"skip-verify": cfg("tcp", "db1:3306", &tls.Config{InsecureSkipVerify: true}),
	} {
		if err := trusted(c, ""); err == nil {
			t.Errorf("%s: trusted", name)
		}
	}
	if err := trusted(cfg("tcp", "db1:3306", &tls.Config{}), ""); err != nil {
		t.Errorf("verified TLS: %v", err)
	}
	if err := trusted(cfg("unix", "/run/mysqld/mysqld.sock", nil), ""); err != nil {
		t.Errorf("socket: %v", err)
	}
	if err := trusted(cfg("tcp", "db1:3306", nil), "other, DB1:3306"); err != nil {
		t.Errorf("named: %v", err)
	}
	if err := trusted(cfg("tcp", "db1:3307", nil), "db1:3306"); err == nil {
		t.Errorf("another port: trusted")
	}
}
