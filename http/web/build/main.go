package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pitrix/pitrix/http/web/webbuild"
)

func main() {
	dir := flag.String("dir", ".", "the http/web directory (holding src/ and vendor/)")
	out := flag.String("out", "dist", "where to write the bundle")
	flag.Parse()
	names, err := webbuild.Build(*dir, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, n := range names {
		if st, err := os.Stat(*out + "/" + n); err == nil {
			fmt.Printf("%8d %s\n", st.Size(), n)
		}
	}
}
