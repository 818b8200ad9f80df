package awsiam

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
