package clustergrain

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/providers"
)

// TestWithSecrets: references are resolved (JSON-escaped) only in the copy handed to the
// provider; the values are masked in the output and the error, which still unwraps.
func TestWithSecrets(t *testing.T) {
	const ref = "ptxsecret-0123456789abcdef0123456789abcdef"
	secret := `pa"ss\word`
	task := providers.Task{Cluster: providers.ClusterSpec{ID: "cl-1", Conf: json.RawMessage(`{"env":{"pw":"` + ref + `"}}`),
		Spec: json.RawMessage(`{"cmd":"echo '` + ref + `'"}`)}, Spec: providers.TaskSpec{Params: json.RawMessage(`{"x":"` + ref + `"}`)}}
	calls := 0
	load := func(_ context.Context, id string) (map[string]string, error) {
		calls++
		if id != "cl-1" {
			t.Errorf("loaded the secrets of %s", id)
		}
		return map[string]string{ref: secret}, nil
	}
	got, masks, err := withSecrets(t.Context(), load, task)
	if err != nil {
		t.Fatal(err)
	}
	var conf struct{ Env struct{ Pw string } }
	if err := json.Unmarshal(got.Cluster.Conf, &conf); err != nil || conf.Env.Pw != secret {
		t.Fatalf("resolved conf %s: %v", got.Cluster.Conf, err)
	}
	var sp struct{ Cmd string }
	if err := json.Unmarshal(got.Cluster.Spec, &sp); err != nil || sp.Cmd != "echo '"+secret+"'" {
		t.Fatalf("resolved spec %s: %v", got.Cluster.Spec, err)
	}
	if !strings.Contains(string(task.Cluster.Conf), ref) || !strings.Contains(string(task.Spec.Params), ref) {
		t.Fatal("the actor's own task was changed")
	}
	inner := errors.Join(providers.ErrPermanent, errors.New("exit 1: "+secret))
	res, err := maskResult(providers.TaskResult{Output: "using " + secret}, inner, masks)
	if res.Output != "using "+Mask || strings.Contains(err.Error(), secret) || !errors.Is(err, providers.ErrPermanent) {
		t.Fatalf("masked = %q, %v", res.Output, err)
	}
	// A task without references loads nothing.
	plain := providers.Task{Cluster: providers.ClusterSpec{ID: "cl-1", Conf: json.RawMessage(`{}`)}}
	if _, m, err := withSecrets(t.Context(), load, plain); err != nil || m != nil || calls != 1 {
		t.Fatalf("plain task: %v %v, %d loads", m, err, calls)
	}
}
