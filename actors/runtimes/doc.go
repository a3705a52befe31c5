// Package runtimes holds the records of runtimes and runtime credentials — their types (the REST
// contract's shapes), keys and index terms — and the runtime actor's command words. It has no
// behaviour that needs the cluster: the actor is in runtimes/runtimegrain, so front ends can use these
// types without importing the actor system. Credential content is stored sealed (actors/seal).
package runtimes
