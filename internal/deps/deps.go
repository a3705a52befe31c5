// Package deps pins the module's dependencies while the packages that use them are written.
// It is removed once every dependency has a real importer.
package deps

import (
	_ "github.com/asynkron/protoactor-go/actor"
	_ "github.com/asynkron/protoactor-go/cluster"
	_ "github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	_ "github.com/asynkron/protoactor-go/remote"
	_ "github.com/cockroachdb/pebble/v2"
	_ "github.com/cockroachdb/pebble/v2/vfs"
	_ "github.com/hashicorp/memberlist"
	_ "github.com/valyala/fasthttp"
	_ "golang.org/x/sync/errgroup"
	_ "google.golang.org/protobuf/proto"
	_ "helm.sh/helm/v3/pkg/chart/loader"
	_ "helm.sh/helm/v3/pkg/repo"
	_ "sigs.k8s.io/yaml"
	_ "go.yaml.in/yaml/v3"
)
