package awsiam

import (
	"context"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// DefaultReuse is how long BeforeConnect reuses a token: inside the server's default
// auth_awsiam_token_max_age of 15 minutes. The server answers a reused token from its cache.
const DefaultReuse = 10 * time.Minute

// BeforeConnect is a go-sql-driver/mysql option that gives every new connection of
// database/sql's pool a token (one reused for DefaultReuse) and allows the cleartext
// plugin. Set the Config's TLS too: the driver would send the token without TLS.
func BeforeConnect(o Options) mysql.Option {
	var mu sync.Mutex
	var held string
	var at time.Time
	return mysql.BeforeConnect(func(ctx context.Context, cfg *mysql.Config) error {
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
