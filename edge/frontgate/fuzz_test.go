package frontgate

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeCluster feeds PutMetadata's json: whatever decodes must encode again and decode
// to the same cluster, and validation must not panic.
func FuzzDecodeCluster(f *testing.F) {
	f.Add([]byte(`{"cluster_id":"cl-1","hosts":[{"instance_id":"i-1","role":"master","ip":"127.0.0.1","sid":1}]}`))
	f.Add([]byte(`{"cluster_id":"cl-1","env":{"":{"port":"6379"},"replica":{"maxmemory":"1mb"}},"links":{"db":[{"instance_id":"i-9"}]}}`))
	f.Add([]byte(`{"hostz":[]}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeCluster(data)
		if err != nil {
			return
		}
		_ = c.Validate()
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		c2, err := decodeCluster(again)
		if err != nil {
			t.Fatalf("a re-encoded cluster does not decode: %v", err)
		}
		a, _ := json.Marshal(c2)
		if string(a) != string(again) {
			t.Fatalf("round trip changed the cluster:\n%s\n%s", again, a)
		}
	})
}

// FuzzDecodeBundleFile feeds a stored bundle file.
func FuzzDecodeBundleFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"cluster_id":"cl-1","files":{}}`))
	f.Add([]byte(`{"version":1,"cluster_id":"cl-1","files":{"conf.d/a.toml":"W3RlbXBsYXRlXQpzcmMgPSAiYS50bXBsIgpkZXN0ID0gIi9hIgo=","templates/a.tmpl":"eA=="}}`))
	f.Add([]byte(`{"version":1,"cluster_id":"../x","files":{}}`))
	f.Add([]byte(`{"version":1,"cluster_id":"cl-1","files":{"../a":""}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		bf, err := decodeBundleFile(data)
		if err != nil {
			return
		}
		if err := checkBundle(bf.ClusterID, bf.Files); err != nil {
			t.Fatalf("decoded bundle fails its check: %v", err)
		}
	})
}
