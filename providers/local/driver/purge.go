package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Purge stops every Frontgate and Drone of this Dir and every process whose working directory
// or $PITRIX_ROOT lies in it, leaving the state as it is (EnsureVPC and StartInstance start
// them again). It is meant for tests and for taking a local runtime down; it takes no locks,
// so it should not race other calls.
func (d *Driver) Purge(ctx context.Context) error {
	var errs []error
	vpcs, err := d.entries(vpcsDir)
	errs = append(errs, err)
	for _, id := range vpcs {
		if s, err := d.loadVPC(id); err == nil {
			errs = append(errs, d.stop(ctx, d.frontgateAgent(s)))
		}
	}
	ins, err := d.entries(instancesDir)
	errs = append(errs, err)
	for _, id := range ins {
		errs = append(errs, d.stop(ctx, d.droneAgent(id)))
	}
	errs = append(errs, d.sweep(ctx, d.dir))
	trash, err := d.entries(trashDir)
	errs = append(errs, err)
	for _, name := range trash {
		errs = append(errs, os.RemoveAll(filepath.Join(d.dir, trashDir, name)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("purge %s: %w", d.dir, err)
	}
	return nil
}
