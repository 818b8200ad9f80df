// Command timing prints what one token costs in this process, credentials cached (issue
// 22's target: under 1 ms), for the benchmark (tools/inside/bench.sh), which prints it
// beside the auth_awsiam_token subprocess measured in the same run. Not a test: a time is
// no pass or fail. The Go package mints tokens only (go-sql-driver/mysql has no custom
// authentication plugins, so there is no challenge answer to time).
//
//	go run auth_awsiam/clients/go/timing COUNT
//
// Credentials and region from the environment (the benchmark gives static keys: no STS
// call). The first token loads the credentials and is not counted. Prints
// token_us=MEDIAN over COUNT tokens.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"auth_awsiam/clients/go/awsiam"
)

func main() {
	count, err := strconv.Atoi(os.Args[1])
	if err != nil || count < 1 {
		fmt.Fprintln(os.Stderr, "timing: COUNT must be a positive number")
		os.Exit(2)
	}
	ctx := context.Background()
	if _, err := awsiam.Token(ctx, awsiam.Options{}); err != nil {
		fmt.Fprintf(os.Stderr, "timing: %v\n", err)
		os.Exit(1)
	}
	times := make([]time.Duration, count)
	for i := range times {
		start := time.Now()
		if _, err := awsiam.Token(ctx, awsiam.Options{}); err != nil {
			fmt.Fprintf(os.Stderr, "timing: %v\n", err)
			os.Exit(1)
		}
		times[i] = time.Since(start)
	}
	sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
	median := times[count/2]
	if count%2 == 0 {
		median = (times[count/2-1] + times[count/2]) / 2
	}
	fmt.Printf("token_us=%.1f\n", float64(median.Nanoseconds())/1000)
}
