// Command server is envelope's example service: a small HTTP server that
// uses the system root CAs (for outgoing TLS) and time zones, so envelope
// includes CA certificates and tzdata in its image.
//
// Run with "selftest" to print what the container gives it and exit.
package main

import (
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	zone := flag.String("zone", "Europe/Paris", "time zone shown by /")
	flag.Parse()

	if flag.Arg(0) == "selftest" {
		os.Exit(selftest(*zone))
	}

	loc, err := time.LoadLocation(*zone)
	if err != nil {
		log.Fatalf("time zone %q: %v", *zone, err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from envelope; it is %s in %s\n", time.Now().In(loc).Format(time.Kitchen), *zone)
	})
	log.Printf("listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// selftest prints one fact a line, for the integration tests to check.
func selftest(zone string) int {
	fmt.Printf("uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	wd, _ := os.Getwd()
	fmt.Printf("cwd=%s\n", wd)
	if f, err := os.CreateTemp("", "probe"); err != nil {
		fmt.Printf("tmp=error %v\n", err)
	} else {
		f.Close()
		os.Remove(f.Name())
		fmt.Println("tmp=writable")
	}
	if pool, err := x509.SystemCertPool(); err != nil {
		fmt.Printf("roots=error %v\n", err)
	} else {
		// Subjects is deprecated for general use but still counts the
		// certificates loaded from the system bundle.
		//lint:ignore SA1019 counting only
		fmt.Printf("roots=%d\n", len(pool.Subjects()))
	}
	if loc, err := time.LoadLocation(zone); err != nil {
		fmt.Printf("zone=error %v\n", err)
	} else {
		t := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC).In(loc)
		fmt.Printf("zone=%s %s\n", zone, t.Format("15:04 MST"))
	}
	for _, p := range []string{"/bin/sh", "/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo"} {
		if _, err := os.Stat(p); err == nil {
			fmt.Printf("exists=%s\n", p)
		}
	}
	fmt.Printf("args=%q\n", os.Args[1:])
	return 0
}
