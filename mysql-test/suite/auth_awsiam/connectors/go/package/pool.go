// Go with the package awsiam (clients/go) and go-sql-driver/mysql:
// database/sql's pool, whose connections log in with a token minted in this
// process (the AWS SDK for Go v2: credentials loaded once, its SigV4 signer; no
// auth_awsiam_token subprocess) and reused within its life, over TLS checked
// against the server's CA. The pool's connections open at once.
//
// Usage: pool HOST PORT USER CA_FILE CONNECTIONS [--unverified]
// With --unverified the connection is TLS without checking the certificate: the
// package mints no token for it, and the error says why.
// The AWS credentials, region and STS endpoint come from the environment, as
// for the AWS CLI (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_STS, ...).
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"

	"auth_awsiam/clients/go/awsiam"
	"github.com/go-sql-driver/mysql"
)

func main() {
	host, port, user, caFile := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	n, _ := strconv.Atoi(os.Args[5])
	ca, err := os.ReadFile(caFile)
	if err != nil {
		fmt.Println("go awsiam package: refused:", err)
		os.Exit(1)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	cfg := mysql.NewConfig()
	cfg.User = user
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(host, port)
	cfg.TLS = &tls.Config{RootCAs: roots} // the name checked is HOST
	if len(os.Args) > 6 && os.Args[6] == "--unverified" {
		cfg.TLS = &tls.Config{InsecureSkipVerify: true}
	}
	// A token (reused for 10 minutes) for each new connection, and the cleartext plugin.
	if err := cfg.Apply(awsiam.BeforeConnect(awsiam.Options{})); err != nil {
		fmt.Println("go awsiam package: refused:", err)
		os.Exit(1)
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		fmt.Println("go awsiam package: refused:", err)
		os.Exit(1)
	}
	db := sql.OpenDB(connector)
	defer db.Close()

	// A pool filling up: all its connections open at once.
	ctx := context.Background()
	var mu sync.Mutex
	var rows []string
	var wg, opened sync.WaitGroup
	opened.Add(n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			row := ""
			conn, err := db.Conn(ctx)
			if err == nil {
				var who, account, arn string
				err = conn.QueryRowContext(ctx, "SELECT USER(), CURRENT_USER(), @@external_user").Scan(&who, &account, &arn)
				row = who + "\t" + account + "\t" + arn
			}
			if err != nil {
				row = "refused: " + err.Error()
			}
			mu.Lock()
			rows = append(rows, row)
			mu.Unlock()
			// Held until every connection is open: the pool opens n, none reused.
			opened.Done()
			opened.Wait()
			if conn != nil {
				conn.Close()
			}
		}()
	}
	wg.Wait()
	sort.Strings(rows)
	for _, r := range rows {
		fmt.Println("go awsiam package:", r)
	}
}
