package control

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/store"
)

// Password-type conf values (config.json "type": "password") never reach a stored record, a
// response, the inspector or a task's output as they are: checkConf swaps each for a reference
// (secretRefPrefix and 32 random hex digits) and stores the value sealed under the cluster's
// secrets record; the app-cluster actor swaps references back only in what it hands a provider
// for one task, and masks the values in what the task returns (actors/appcluster/clustergrain).

const secretRefPrefix = "ptxsecret-"

var secretRefRE = regexp.MustCompile(`^ptxsecret-[0-9a-f]{32}$`)

// clusterSecrets is the record at appcluster.SecretsKey(cluster id): each reference's sealed value.
type clusterSecrets struct {
	Sealed map[string][]byte `json:"sealed"`
}

func newSecretRef() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return secretRefPrefix + hex.EncodeToString(b)
}

// storeSecrets adds values (reference -> value) to the sealed secrets of cluster id.
func (p *Plane) storeSecrets(ctx context.Context, id string, values map[string]string) error {
	if len(values) == 0 {
		return nil
	}
	key := appcluster.SecretsKey(id)
	for range 5 {
		rec, ver, err := entity.Get[clusterSecrets](ctx, p.st, key)
		if errors.Is(err, store.ErrNotFound) {
			ver = store.Absent
		} else if err != nil {
			return fault.Unavailable(err, "read the secrets of cluster %s", id)
		}
		if rec.Sealed == nil {
			rec.Sealed = map[string][]byte{}
		}
		for ref, v := range values {
			rec.Sealed[ref] = p.seal.Seal([]byte(v), key+"/"+ref)
		}
		if _, err := p.st.Apply(ctx, entity.MustPut(key, rec, ver)); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrConflict) {
			return fault.Unavailable(err, "store the secrets of cluster %s", id)
		}
	}
	return fault.Conflict("the secrets of cluster %s changed concurrently; retry", id)
}

// ClusterSecrets returns the password values of cluster id by reference, for the app-cluster
// actor to hand a provider. Nothing else reads them.
func (p *Plane) ClusterSecrets(ctx context.Context, id string) (map[string]string, error) {
	key := appcluster.SecretsKey(id)
	rec, _, err := entity.Get[clusterSecrets](ctx, p.st, key)
	if errors.Is(err, store.ErrNotFound) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the secrets of cluster %s: %w", id, err)
	}
	out := make(map[string]string, len(rec.Sealed))
	for ref, sealed := range rec.Sealed {
		b, err := p.seal.Unseal(sealed, key+"/"+ref)
		if err != nil {
			return nil, fmt.Errorf("unseal secret %s of cluster %s: %w", ref, id, err)
		}
		out[ref] = string(b)
	}
	return out, nil
}

// hasSecretRef reports whether v (a decoded JSON value) holds a secret reference.
func hasSecretRef(v any) bool {
	switch x := v.(type) {
	case string:
		return secretRefRE.MatchString(x)
	case map[string]any:
		for _, e := range x {
			if hasSecretRef(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasSecretRef(e) {
				return true
			}
		}
	}
	return false
}

// resolveSecretRefs returns v with every known reference replaced by its value.
func resolveSecretRefs(v any, known map[string]string) any {
	switch x := v.(type) {
	case string:
		if val, ok := known[x]; ok {
			return val
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = resolveSecretRefs(e, known)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolveSecretRefs(e, known)
		}
		return out
	}
	return v
}

// secretSwap hands out references for secret values: the one a value already has among the
// cluster's stored secrets, else a new one (collected in fresh, to store).
type secretSwap struct {
	byValue map[string]string
	fresh   map[string]string
}

func newSecretSwap(known map[string]string) *secretSwap {
	sw := &secretSwap{byValue: map[string]string{}, fresh: map[string]string{}}
	for ref, val := range known {
		sw.byValue[val] = ref
	}
	return sw
}

func (sw *secretSwap) ref(val string) string {
	if ref, ok := sw.byValue[val]; ok {
		return ref
	}
	ref := newSecretRef()
	sw.fresh[ref], sw.byValue[val] = val, ref
	return ref
}

// swapAt replaces the non-empty string at path in obj with ref(value).
func swapAt(obj map[string]any, path []string, ref func(string) string) {
	for i, k := range path {
		if i == len(path)-1 {
			if s, ok := obj[k].(string); ok && s != "" {
				obj[k] = ref(s)
			}
			return
		}
		next, ok := obj[k].(map[string]any)
		if !ok {
			return
		}
		obj = next
	}
}
