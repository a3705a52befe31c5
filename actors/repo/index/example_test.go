package index_test

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/pitrix/pitrix/actors/repo/index"
)

// A caller buffers compact results and commits them only if the whole read succeeds.
func ExampleRead() {
	const doc = `apiVersion: v1
entries:
  nginx:
  - name: nginx
    version: 1.2.0
    urls: [nginx-1.2.0.tgz]
  - name: nginx
    version: 1.1.0
    urls: [https://mirror.example.org/nginx-1.1.0.tgz]
`
	base, _ := url.Parse("https://charts.example.com/stable")
	var pending []string
	st, err := index.Read(strings.NewReader(doc), index.Limits{}, func(v index.Version) error {
		u, err := index.ResolveURL(base, v.URLs[0])
		if err != nil {
			return err
		}
		pending = append(pending, v.Name+" "+v.Version+" "+u)
		return nil
	})
	if err != nil {
		fmt.Println("keep the previous catalog:", err)
		return
	}
	for _, p := range pending {
		fmt.Println(p)
	}
	fmt.Println(st.Charts, "chart,", st.Versions, "versions")

	_, err = index.Read(strings.NewReader("entries:\n  nginx:\n  - name: nginx\n    version: 1.3.0\n"), index.Limits{},
		func(index.Version) error { return nil })
	fmt.Println(err)
	// Output:
	// nginx 1.2.0 https://charts.example.com/stable/nginx-1.2.0.tgz
	// nginx 1.1.0 https://mirror.example.org/nginx-1.1.0.tgz
	// 1 chart, 2 versions
	// index.yaml line 3: chart "nginx" version "1.3.0": no urls
}
