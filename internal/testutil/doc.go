// Package testutil holds the small helpers many packages' tests share: Eventually, the one
// polling loop for conditions reached asynchronously, and VerifyTestMain/Main, the goroutine
// leak check of a test binary built on go.uber.org/goleak.
//
// It is imported only from _test.go files and test-helper packages (edgetest, benchkit). It
// deliberately holds no fakes or fixtures of any one package: those live in that package's
// xxxtest package.
package testutil
