// Go with go-sql-driver/mysql, logging in with a JWT that AWS signs (IAM
// outbound identity federation): database/sql's pool, where every new
// connection asks AWS STS for a fresh token for this server's audience
// (GetWebIdentityToken) and sends it as the password, over TLS checked against
// the server's CA. No program of this project is needed on the application's
// machine.
//
// Usage: pool HOST PORT USER CA_FILE AUDIENCE
// The AWS credentials, region and STS endpoint come from the environment
// (AWS_PROFILE, AWS_REGION, ...; AWS CLI v1 reads the region from
// AWS_DEFAULT_REGION). The token comes from the stock AWS CLI; with
// aws-sdk-go-v2, mint it in BeforeConnect with sts.Client.GetWebIdentityToken
// instead (see docs/connectors.rst).
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

// mintJWT is called for each new connection: a token valid for 300 seconds,
// signed RS256 (ES384 costs the server ten times more to check).
func mintJWT(audience string) (string, error) {
	out, err := exec.Command("aws", "sts", "get-web-identity-token", "--audience", audience,
		"--signing-algorithm", "RS256", "--query", "WebIdentityToken", "--output", "text").Output()
	return strings.TrimSpace(string(out)), err
}

func main() {
	host, port, user, caFile, audience := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	fail := func(err error) {
		fmt.Printf("go go-sql-driver/mysql, JWT: refused: %v\n", err)
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
		token, err := mintJWT(audience)
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
		fmt.Printf("go go-sql-driver/mysql, JWT, connection %d: %s %s %s %s\n", i+1, who, account, arn, tlsVersion)
	}
	for _, conn := range conns {
		conn.Close()
	}
}
