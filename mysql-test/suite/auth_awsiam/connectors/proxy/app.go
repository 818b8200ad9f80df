// go-sql-driver/mysql through auth_awsiam_proxy: a DSN with a user and no password.
// Run: app PORT USER
package main

import (
	"database/sql"
	"fmt"
	"os"

	_ "github.com/go-sql-driver/mysql"
)

func main() {
	db, err := sql.Open("mysql", fmt.Sprintf("%s@tcp(127.0.0.1:%s)/", os.Args[2], os.Args[1]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer db.Close()
	var user, arn string
	if err := db.QueryRow("SELECT CURRENT_USER(), @@external_user").Scan(&user, &arn); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("Go go-sql-driver/mysql: %s %s\n", user, arn)
}
