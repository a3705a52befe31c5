package runner_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pitrix/pitrix/edge/drone/runner"
)

// A command id runs once: delivering it again returns the stored result.
func ExampleRunner_Run() {
	dir, err := os.MkdirTemp("", "drone-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		fmt.Println(err)
		return
	}
	r, err := runner.Open(runner.Config{Root: root, StateDir: filepath.Join(dir, "state"), InstanceID: "i-1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		res, err := r.Run(context.Background(), runner.Command{ID: "task-1:init", Cmd: `echo "init $PITRIX_INSTANCE_ID"`})
		fmt.Printf("%q exit=%d deduplicated=%v err=%v\n", res.Stdout, res.ExitCode, res.Deduplicated, err)
	}
	// Output:
	// "init i-1\n" exit=0 deduplicated=false err=<nil>
	// "init i-1\n" exit=0 deduplicated=true err=<nil>
}
