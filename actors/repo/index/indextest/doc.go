// Package indextest generates realistic, deterministic index.yaml documents for tests and
// benchmarks of package index: many charts, each with a block sequence of versions carrying
// descriptions, several urls, maintainers, keywords, dependencies and annotations (including
// multi-line ones), laid out the way Helm writes an index. It does not check anything.
package indextest
