// Go with go-sql-driver/mysql: database/sql's pool, where every new
// connection logs in with a fresh auth_awsiam token, over TLS checked against
// the server's CA.
//
// Usage: pool HOST PORT USER CA_FILE
// The AWS credentials, region and STS endpoint come from the environment, as
// for the AWS CLI (AWS_PROFILE, AWS_REGION, ...): auth_awsiam_token reads them.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// mintToken is called for each new connection; add "--server-id", "ID" if the
// server sets one.
func mintToken() (string, error) {
	out, err := exec.Command("auth_awsiam_token", "--format", "token").Output()
	return strings.TrimSpace(string(out)), err
}

func main() {
	host, port, user, caFile := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	fail := func(err error) {
		fmt.Printf("go go-sql-driver/mysql: refused: %v\n", err)
		os.Exit(1)
	}

	// TLS, with the server's certificate checked (name included).
	ca, err := os.ReadFile(caFile)
	if err != nil {
		fail(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)

	cfg := mysql.NewConfig()
	cfg.User = user
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(host, port)
	cfg.TLS = &tls.Config{RootCAs: roots} // the name checked is HOST
	// mysql_clear_password; the driver would send it without TLS too, so set TLS.
	cfg.AllowCleartextPasswords = true
	// BeforeConnect runs for each new connection of the pool: a fresh token.
	if err := cfg.Apply(mysql.BeforeConnect(func(ctx context.Context, c *mysql.Config) error {
		token, err := mintToken()
		c.Passwd = token
		return err
	})); err != nil {
		fail(err)
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		fail(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()

	// Two connections held at once: the pool opens two, each with its own token.
	ctx := context.Background()
	conns := make([]*sql.Conn, 2)
	for i := range conns {
		if conns[i], err = db.Conn(ctx); err != nil {
			fail(err)
		}
	}
	for i, conn := range conns {
		var who, account, arn, tlsVersion string
		err := conn.QueryRowContext(ctx, "SELECT USER(), CURRENT_USER(), @@external_user, "+
			"(SELECT variable_value FROM performance_schema.session_status "+
			"WHERE variable_name = 'Ssl_version')").Scan(&who, &account, &arn, &tlsVersion)
		if err != nil {
			fail(err)
		}
		fmt.Printf("go go-sql-driver/mysql, connection %d: %s %s %s %s\n", i+1, who, account, arn, tlsVersion)
	}
	for _, conn := range conns {
		conn.Close()
	}
}
