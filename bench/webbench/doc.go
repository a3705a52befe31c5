// Command webbench measures the dashboard's store page on loopback in Debian's chromium: the
// bytes of JS and CSS transferred (compressed, as sent) and the time from navigation start to the
// store's first list on screen (the page's "pitrix:store-ready" User Timing mark; Preact has
// attached every handler by then), with a cold cache on every run (a fresh browser context).
// The goals are under 200 KB and under 300 ms (docs/benchmarks.md).
//
//	go run ./bench/webbench [-bin bin/pitrix] [-runs 15]
package main
