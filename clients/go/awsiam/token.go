// Package awsiam mints tokens for the auth_awsiam plugin of MySQL / Percona Server in the
// process, with the AWS SDK for Go v2 (its credential chain, loaded once per process and
// refreshed ahead of expiry; its SigV4 signer): no auth_awsiam_token subprocess. The
// format is docs/protocol.rst's; the tests check it against its test vectors.
//
// go-sql-driver/mysql has no custom authentication plugins (it knows a fixed set), so the
// challenge of auth_awsiam_challenge cannot be answered from Go; tokens (the cleartext
// plugin, over TLS) are what Go programs use. BeforeConnect gives database/sql's pool a
// token for each new connection.
package awsiam

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
)

const (
	tokenPrefix = "awsiam1."
	body        = "Action=GetCallerIdentity&Version=2011-06-15"
	contentType = "application/x-www-form-urlencoded; charset=utf-8"
	// ServerIDHeader carries the server's auth_awsiam_server_id, signed.
	ServerIDHeader = "X-Auth-Awsiam-Server-Id"
)

// Options chooses what a token is signed for, and with which credentials.
type Options struct {
	// Region signs for its official STS host (default: the AWS configuration's region).
	Region string
	// STSEndpoint, when the server is configured with one (auth_awsiam_sts_endpoint):
	// sign for its host instead. Default: AUTH_AWSIAM_STS_ENDPOINT, else
	// AWS_ENDPOINT_URL_STS.
	STSEndpoint string
	// ServerID: the server's auth_awsiam_server_id, if it has one.
	ServerID string
	// Profile: the AWS profile (default: AWS_PROFILE, else default).
	Profile string
}

var (
	mu      sync.Mutex
	configs = map[string]aws.Config{}
)

// awsConfig is the process's AWS configuration for a profile: its credentials are an
// aws.CredentialsCache, so every connection shares one load (one AssumeRole of a role_arn
// profile per credential lifetime, not one per connection).
func awsConfig(ctx context.Context, profile string) (aws.Config, error) {
	mu.Lock()
	defer mu.Unlock()
	if c, ok := configs[profile]; ok {
		return c, nil
	}
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	c, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("cannot load the AWS configuration: %w", err)
	}
	configs[profile] = c
	return c, nil
}

// OfficialHost is the regional STS host the server verifies against by default.
func OfficialHost(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "sts." + region + ".amazonaws.com.cn"
	}
	return "sts." + region + ".amazonaws.com"
}

func endpointAuthority(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("not an STS endpoint URL: %q (want https://HOST[:PORT])", endpoint)
	}
	return strings.ToLower(u.Host), nil
}

// Token is the password of an auth_awsiam account: awsiam1. and the signed request. Good
// for auth_awsiam_token_max_age seconds (900 by default).
func Token(ctx context.Context, o Options) (string, error) {
	cfg, err := awsConfig(ctx, o.Profile)
	if err != nil {
		return "", err
	}
	region := o.Region
	if region == "" {
		region = cfg.Region
	}
	if region == "" {
		return "", fmt.Errorf("no region: set Options.Region or AWS_REGION")
	}
	endpoint := o.STSEndpoint
	for _, env := range []string{"AUTH_AWSIAM_STS_ENDPOINT", "AWS_ENDPOINT_URL_STS"} {
		if endpoint == "" {
			endpoint = os.Getenv(env)
		}
	}
	host := OfficialHost(region)
	if endpoint != "" {
		if host, err = endpointAuthority(endpoint); err != nil {
			return "", err
		}
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("cannot load AWS credentials: %w", err)
	}
	return sign(ctx, host, region, o.ServerID, creds, time.Now())
}

var authorization = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$`)

// sign signs the fixed request for host in region and returns the token.
func sign(ctx context.Context, host, region, serverID string, creds aws.Credentials, now time.Time) (string, error) {
	req, err := http.NewRequest(http.MethodPost, "https://"+host+"/", strings.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("invalid STS host %q: %w", host, err)
	}
	// Only the template's headers are signed: no Content-Length (the signer would sign it).
	req.ContentLength = 0
	req.Header.Set("Content-Type", contentType)
	if serverID != "" {
		req.Header.Set(ServerIDHeader, serverID)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", region, now.UTC()); err != nil {
		return "", fmt.Errorf("signing failed: %w", err)
	}
	m := authorization.FindStringSubmatch(req.Header.Get("Authorization"))
	if m == nil {
		return "", fmt.Errorf("the signer gave an Authorization header of unknown form")
	}
	fields := []string{host, req.Header.Get("X-Amz-Date"), m[1], m[2], m[3], serverID, creds.SessionToken}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(strings.Join(fields, "\n"))), nil
}
