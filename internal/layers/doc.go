// Package layers holds the test that keeps the dependency floors of docs/architecture.md:
// http → services (actors/control) → actors → store and cluster; providers and edge below,
// knowing no actors. It has no code of its own.
package layers
