package sandbox_test

import (
	"fmt"
	"os"

	"github.com/pitrix/pitrix/providers/local/sandbox"
)

// A sandbox whose writes land in /srv/i-1/root, over the host's root less the data dir, with
// a volume at /data, running a shell command. The binary's main calls sandbox.Init when its
// first argument is sandbox.InitArg. Starting cmd needs root; building it does not.
func ExampleCommand() {
	cmd, err := sandbox.Command("/usr/local/bin/pitrix", []string{"--sandbox-dir", "/srv/i-1"}, sandbox.Spec{
		Upper: "/srv/i-1/root", Work: "/srv/i-1/work", Merged: "/srv/i-1/merged",
		Hide:  []string{"/var/lib/pitrix"},
		Binds: []sandbox.Bind{{Src: "/srv/i-1/volume", Dst: "/data"}},
		Path:  "/bin/sh", Argv: []string{"sh", "-c", "echo hello > /etc/motd"},
		Env: []string{"PATH=/usr/bin:/bin"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	fmt.Println(cmd.Args[1], cmd.SysProcAttr.Cloneflags != 0)
	// Output: sandbox-init true
}
