package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// checkServiceParams checks the run-time parameters of custom service name of cluster c as
// AppCenter does: against config.json's service_params group with the conf rules (every
// problem in one answer, keyed service_params.<path>), a required one only when the service's
// service_params in the template use it. Password-type values are sealed like conf passwords
// (secrets.go): the job records references. It returns the checked parameters and, per role,
// the service's service_params as the template renders them (what the command gets).
func (p *Plane) checkServiceParams(ctx context.Context, c appcluster.Cluster, name string, raw json.RawMessage) (json.RawMessage, map[string]json.RawMessage, error) {
	params, err := confObject(raw)
	if err != nil {
		return nil, nil, fault.InvalidField("service_params", "an object of the service's parameters")
	}
	v, _, err := entity.Get[catalog.Version](ctx, p.st, catalog.VersionKey(c.VersionID))
	if err != nil {
		return nil, nil, fault.Unavailable(err, "read version %s", c.VersionID)
	}
	pkg, err := p.packageOf(ctx, &v)
	if err != nil {
		return nil, nil, err
	}
	sp, err := p.vmPackage(ctx, &v, pkg)
	if err != nil {
		return nil, nil, err
	}
	conf, err := confObject(c.Conf)
	if err != nil {
		return nil, nil, fault.Internal(err, "read the conf of cluster %s", c.ID)
	}
	var known map[string]string // reference -> value, of the cluster's stored secrets
	if hasSecretRef(conf) || hasSecretRef(params) {
		if known, err = p.ClusterSecrets(ctx, c.ID); err != nil {
			return nil, nil, fault.Unavailable(err, "read the secrets of cluster %s", c.ID)
		}
		conf = resolveSecretRefs(conf, known).(map[string]any)
	}
	conf = sp.Known(conf)
	if len(params) > 0 {
		conf[spec.ServiceParamsKey] = params
	}
	merged, err := sp.Merge(conf)
	var ce *spec.ConfError
	if errors.As(err, &ce) {
		fields := map[string]string{}
		for k, msg := range ce.Fields {
			// Only the parameters are the caller's: the conf was checked when it was set.
			if k == spec.ServiceParamsKey || strings.HasPrefix(k, spec.ServiceParamsKey+".") {
				fields[k] = msg
			}
		}
		if len(fields) > 0 {
			return nil, nil, fault.Invalid("invalid service_params", fields)
		}
		return nil, nil, fault.Precondition("the conf of cluster %s no longer checks against its package: %v", c.ID, err)
	} else if err != nil {
		return nil, nil, fault.InvalidField("service_params", err.Error())
	}
	sw := newSecretSwap(known)
	sp.ReplacePasswords(merged, func(_, val string) string { return sw.ref(val) })
	roles, err := sp.ServiceRun(merged, name)
	if errors.As(err, &ce) {
		return nil, nil, fault.Invalid("invalid service_params", ce.Fields)
	} else if err != nil {
		return nil, nil, fault.InvalidField("service_params", fmt.Sprintf("service %s: %v", name, err))
	}
	if err := p.storeSecrets(ctx, c.ID, sw.fresh); err != nil {
		return nil, nil, err
	}
	checked, _ := json.Marshal(merged[spec.ServiceParamsKey])
	return checked, roles, nil
}
