package frontgate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pitrix/pitrix/edge/drone"
	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/frontgate"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/edge/wire"
)

// A control plane registers a cluster in a VPC's Frontgate and runs a command on one of its
// instances through it: the Frontgate dials the control plane, the instance's Drone dials the
// Frontgate, and both streams are mutual TLS with certificates from one CA.
func Example() {
	dir, _ := os.MkdirTemp("", "edge-example-")
	defer os.RemoveAll(dir)
	ca, _ := pki.Open(filepath.Join(dir, "ca"))
	caFile := filepath.Join(dir, "ca.pem")
	_ = os.WriteFile(caFile, ca.CertPEM(), 0o600)
	issue := func(kind pki.Kind, id string, hosts ...string) (certFile, keyFile string) {
		cert, key, _ := ca.Issue(pki.IssueRequest{Kind: kind, ID: id, Hosts: hosts})
		certFile, keyFile = filepath.Join(dir, id+".crt"), filepath.Join(dir, id+".key")
		_ = os.WriteFile(certFile, cert, 0o600)
		_ = os.WriteFile(keyFile, key, 0o600)
		return certFile, keyFile
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The control plane's edge listener hands over each Frontgate stream.
	srvCert, srvKey := issue(pki.KindServer, "node-1", "127.0.0.1")
	cert, _ := os.ReadFile(srvCert)
	key, _ := os.ReadFile(srvKey)
	srvTLS, _ := pki.ServerTLS(cert, key, ca.CertPEM())
	ln, _ := wire.Listen(ctx, "127.0.0.1:0")
	streams := make(chan *wire.Session, 1)
	served := make(chan error, 1)
	go func() {
		served <- wire.Serve(ctx, ln, srvTLS, wire.Config{Hello: &edgepb.Hello{Role: "server", Id: "node-1"}, PeerKinds: []pki.Kind{pki.KindFrontgate}}, nil,
			func(_ pki.Identity, _ *edgepb.Hello, s *wire.Session) error { streams <- s; return nil })
	}()

	fgCert, fgKey := issue(pki.KindFrontgate, "fg-1", "127.0.0.1")
	fg, err := frontgate.New(frontgate.Config{ID: "fg-1", ControlAddrs: []string{ln.Addr().String()}, DroneListen: "127.0.0.1:0",
		DataDir: filepath.Join(dir, "fg"), CertFile: fgCert, KeyFile: fgKey, CAFile: caFile})
	if err != nil {
		fmt.Println(err)
		return
	}
	fgDone := make(chan error, 1)
	go func() { fgDone <- fg.Run(ctx) }()
	<-fg.Ready()

	drCert, drKey := issue(pki.KindDrone, "i-1")
	d, err := drone.New(drone.Config{InstanceID: "i-1", ClusterID: "cl-1", Role: "web", Root: filepath.Join(dir, "i-1"),
		StateDir: filepath.Join(dir, "i-1.state"), FrontgateAddr: fg.DroneAddr(), CertFile: drCert, KeyFile: drKey, CAFile: caFile})
	if err != nil {
		fmt.Println(err)
		return
	}
	droneDone := make(chan error, 1)
	go func() { droneDone <- d.Run(ctx) }()

	stream := <-streams
	js, _ := json.Marshal(metadata.Cluster{ClusterID: "cl-1", Hosts: []metadata.Host{{InstanceID: "i-1", Role: "web", IP: "127.0.0.1"}}})
	if _, err := stream.Request(ctx, &edgepb.PutMetadata{ClusterId: "cl-1", Json: js}); err != nil {
		fmt.Println(err)
		return
	}
	reply, err := stream.Request(ctx, &edgepb.RunCommand{CommandId: "job-1/task-1", InstanceId: "i-1", Cmd: `echo "hello from $PITRIX_INSTANCE_ID ($PITRIX_ROLE)"`, TimeoutSec: 30})
	if err != nil {
		fmt.Println(err)
		return
	}
	res := reply.(*edgepb.CommandResult)
	fmt.Printf("exit %d: %s", res.ExitCode, res.Stdout)

	cancel()
	<-droneDone
	<-fgDone
	<-served
	// Output:
	// exit 0: hello from i-1 (web)
}
