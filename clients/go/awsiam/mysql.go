package awsiam

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TrustedServers names servers a token may go to without verified TLS (host[:port],...),
// as for the client plugin.
const TrustedServers = "AUTH_AWSIAM_TRUSTED_SERVERS"

// trusted says whether a token (a signed request) may go to the server of cfg: over TLS
// whose certificate the driver verifies, over a Unix socket, or to a server the user named
// in TrustedServers. Else the error says how to fix it.
func trusted(cfg *mysql.Config, named string) error {
	if cfg.Net == "unix" {
		return nil
	}
	if cfg.TLS != nil && !cfg.TLS.InsecureSkipVerify && cfg.TLSConfig != "preferred" {
		return nil
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		host, port = cfg.Addr, ""
	}
	for _, t := range strings.Split(named, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if h, p, err := net.SplitHostPort(t); err == nil {
			if h == strings.ToLower(host) && p == port {
				return nil
			}
		} else if t == strings.ToLower(host) {
			return nil
		}
	}
	return fmt.Errorf("not sending a token to %s: the connection is not TLS with the server certificate verified (set the Config's TLS) nor a Unix socket; to send it anyway, add the server to %s", cfg.Addr, TrustedServers)
}

// DefaultReuse is how long BeforeConnect reuses a token: inside the server's default
// auth_awsiam_token_max_age of 15 minutes. The server answers a reused token from its cache.
const DefaultReuse = 10 * time.Minute

// BeforeConnect is a go-sql-driver/mysql option that gives every new connection of
// database/sql's pool a token (one reused for DefaultReuse) and allows the cleartext
// plugin, but only over TLS whose certificate the driver verifies (set the Config's TLS),
// a Unix socket, or to a server named in TrustedServers.
func BeforeConnect(o Options) mysql.Option {
	var mu sync.Mutex
	var held string
	var at time.Time
	return mysql.BeforeConnect(func(ctx context.Context, cfg *mysql.Config) error {
		// A token is a signed request: it goes only to a server that proved itself.
		if err := trusted(cfg, os.Getenv(TrustedServers)); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if held == "" || time.Since(at) >= DefaultReuse {
			t, err := Token(ctx, o)
			if err != nil {
				return err
			}
			held, at = t, time.Now()
		}
		cfg.Passwd = held
		cfg.AllowCleartextPasswords = true
		return nil
	})
}
