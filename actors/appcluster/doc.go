// Package appcluster holds the records of app clusters (one deployed instance of an app version
// on a runtime), their jobs (lifecycle actions) and the jobs' tasks — the REST contract's shapes,
// keys, index terms and status words — and the commands of the app-cluster actor. It has no
// behaviour that needs the cluster: the actor and its job engine are in appcluster/clustergrain, so
// front ends can use these types without importing the actor system.
package appcluster
