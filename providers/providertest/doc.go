// Package providertest is an in-memory providers.Operator for tests of the job engine and the
// control plane: it keeps state (instances per cluster, executions per task id) and fails,
// blocks or slows tasks on request. It is a fault injector, not a model of any cloud.
package providertest
