package indextest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// Options shape a generated index. Zero fields mean defaults.
type Options struct {
	// Versions is the number of chart versions in all. Default 1000.
	Versions int
	// PerChart is the average number of versions per chart; charts get between half and
	// one and a half times as many. Default 50.
	PerChart int
	// Seed makes the output deterministic; the same options give the same bytes.
	Seed uint64
	// BaseURL is the repo URL used in absolute package urls. Default
	// "https://charts.example.com/stable".
	BaseURL string
}

func (o Options) withDefaults() Options {
	if o.Versions == 0 {
		o.Versions = 1000
	}
	if o.PerChart == 0 {
		o.PerChart = 50
	}
	if o.BaseURL == "" {
		o.BaseURL = "https://charts.example.com/stable"
	}
	return o
}

var words = strings.Fields(`cloud native scalable open source database cache message queue
	stream search engine web server proxy gateway monitoring metrics logging tracing storage
	object block file backup restore cluster replica primary secondary shard high availability
	secure fast lightweight distributed relational document graph time series analytics
	dashboard alerting identity access management secrets vault certificate ingress mesh`)

var categories = []string{"Database", "Infrastructure", "Analytics", "DeveloperTools",
	"Networking", "Security", "Storage", "Monitoring"}

// Generate writes an index of o.Versions versions to w and returns the number of charts.
func Generate(w io.Writer, o Options) (charts int, err error) {
	o = o.withDefaults()
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	bw := bufio.NewWriterSize(w, 64<<10)
	base := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	bw.WriteString("apiVersion: v1\nentries:\n")
	left := o.Versions
	for left > 0 {
		n := o.PerChart/2 + rng.IntN(o.PerChart+1)
		n = max(1, min(n, left))
		left -= n
		name := fmt.Sprintf("%s-%s-%03d", words[rng.IntN(len(words))], words[rng.IntN(len(words))], charts)
		charts++
		fmt.Fprintf(bw, "  %s:\n", name)
		for i := range n {
			writeVersion(bw, rng, o.BaseURL, name, n-i, base)
		}
	}
	fmt.Fprintf(bw, "generated: \"%s\"\nserverInfo: {}\n", base.Add(1000*24*time.Hour).Format(time.RFC3339Nano))
	return charts, bw.Flush()
}

func sentence(rng *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[rng.IntN(len(words))])
	}
	return b.String()
}

func writeVersion(w *bufio.Writer, rng *rand.Rand, baseURL, name string, seq int, base time.Time) {
	version := fmt.Sprintf("%d.%d.%d", seq/100+1, seq/10%10, seq%10)
	app := fmt.Sprintf("%d.%d.%d", rng.IntN(20), rng.IntN(30), rng.IntN(100))
	created := base.Add(time.Duration(rng.Int64N(int64(900 * 24 * time.Hour)))).Format(time.RFC3339Nano)
	cat := categories[rng.IntN(len(categories))]
	fmt.Fprintf(w, "  - annotations:\n      category: %s\n      images: |\n", cat)
	for i := range 1 + rng.IntN(3) {
		fmt.Fprintf(w, "        - name: %s-%d\n          image: docker.io/example/%s:%s-debian-12-r%d\n", name, i, name, app, rng.IntN(40))
	}
	fmt.Fprintf(w, "      licenses: Apache-2.0\n      org.opencontainers.image.source: https://github.com/example/charts/tree/main/%s\n", name)
	fmt.Fprintf(w, "    apiVersion: v2\n    appVersion: %s\n    created: \"%s\"\n", app, created)
	fmt.Fprintf(w, "    dependencies:\n    - name: common\n      repository: oci://registry.example.com/charts\n      tags:\n      - common\n      version: 2.x.x\n")
	if rng.IntN(4) == 0 {
		fmt.Fprintf(w, "    - condition: metrics.enabled\n      name: exporter\n      repository: oci://registry.example.com/charts\n      version: %d.x.x\n", 1+rng.IntN(5))
	}
	if rng.IntN(50) == 0 {
		w.WriteString("    deprecated: true\n")
	}
	fmt.Fprintf(w, "    description: \"%s. %s.\"\n", sentence(rng, 12+rng.IntN(14)), sentence(rng, 6+rng.IntN(10)))
	fmt.Fprintf(w, "    digest: %016x%016x%016x%016x\n", rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64())
	fmt.Fprintf(w, "    home: https://example.com/apps/%s\n    icon: https://example.com/icons/%s.svg\n", name, name)
	w.WriteString("    keywords:\n")
	for range 3 + rng.IntN(5) {
		fmt.Fprintf(w, "    - %s\n", words[rng.IntN(len(words))])
	}
	w.WriteString("    maintainers:\n")
	for i := range 1 + rng.IntN(2) {
		fmt.Fprintf(w, "    - email: maintainer%d@example.com\n      name: Maintainer %d of %s\n      url: https://github.com/maintainer%d\n", i, i, name, i)
	}
	fmt.Fprintf(w, "    name: %s\n    sources:\n    - https://github.com/example/charts/tree/main/%s\n    - https://github.com/example/%s\n", name, name, name)
	file := fmt.Sprintf("%s-%s.tgz", name, version)
	fmt.Fprintf(w, "    urls:\n    - %s/%s\n    - https://mirror.example.org/stable/%s\n    - %s\n", baseURL, file, file, file)
	fmt.Fprintf(w, "    version: %s\n", version)
}
