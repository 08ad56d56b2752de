// Command hello needs neither CA certificates nor time zones: envelope's
// image for it holds only the base files and the binary.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Printf("hello uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	if f, err := os.CreateTemp("", "probe"); err != nil {
		fmt.Printf("tmp=error %v\n", err)
	} else {
		f.Close()
		os.Remove(f.Name())
		fmt.Println("tmp=writable")
	}
	for _, p := range []string{"/bin/sh", "/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo", "/etc/passwd"} {
		if _, err := os.Stat(p); err == nil {
			fmt.Printf("exists=%s\n", p)
		}
	}
	fmt.Printf("args=%q\n", os.Args[1:])
}
