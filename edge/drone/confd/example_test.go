package confd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pitrix/pitrix/edge/drone/confd"
	"github.com/pitrix/pitrix/edge/metadata"
)

// A replica renders its redis.conf from its /self view; the second render
// of the same view changes nothing.
func ExampleRenderer_Render() {
	root, err := os.MkdirTemp("", "instance-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)

	b, err := confd.Load(map[string][]byte{
		"confd/conf.d/redis.toml": []byte("[template]\nsrc = \"redis.conf.tmpl\"\ndest = \"/data/redis.conf\"\nkeys = [\"/host\", \"/hosts\"]\n"),
		"confd/templates/redis.conf.tmpl": []byte(`port 6379
{{- if eq (getv "/host/role") "replica"}}
{{- range lsdir "/hosts/master"}}
replicaof {{getv (printf "/hosts/master/%s/ip" .)}} 6379
{{- end}}
{{- end}}
`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	view := metadata.View{
		"/host/role":            "replica",
		"/hosts/master/i-m/ip":  "127.1.0.2",
		"/hosts/replica/i-r/ip": "127.1.0.3",
	}
	r, err := confd.New(confd.Config{Root: root})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		for _, rep := range r.Render(context.Background(), b, view) {
			fmt.Println(rep.Name, rep.Status())
		}
	}
	conf, _ := os.ReadFile(filepath.Join(root, "data/redis.conf"))
	fmt.Print(string(conf))
	// Output:
	// confd/conf.d/redis.toml changed
	// confd/conf.d/redis.toml unchanged
	// port 6379
	// replicaof 127.1.0.2 6379
}
