// Package kubeconfig turns a kubeconfig file into one self-contained document, as
// `kubectl config view --flatten --minify` does, so that it can be stored as a runtime
// credential: the server reads no files named in a credential and refuses kubeconfigs that
// name them.
//
// Flatten keeps only the current context with its cluster and user, and inlines the files they
// reference (certificate-authority, client-certificate, client-key as the *-data fields, and
// tokenFile as token), resolving relative paths against the kubeconfig's own folder. It does
// not check the result: whether exec or auth-provider plugins are allowed, and whether the
// cluster answers, is for the server to say.
package kubeconfig
