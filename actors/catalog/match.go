package catalog

// Runtime matching: a version can be deployed to a runtime when the runtime's provider is one
// of its repo's providers (for uploads without a repo: a provider of the app's type) and the
// runtime's labels satisfy each of the repo's selectors (the label's value is one of the
// selector's values).

// ProviderAllowed reports whether provider is allowed by the repo's providers.
func ProviderAllowed(repoProviders []string, provider string) bool {
	for _, p := range repoProviders {
		if p == provider {
			return true
		}
	}
	return false
}

// SelectorsMatch reports whether labels satisfy every selector.
func SelectorsMatch(selectors map[string][]string, labels map[string]string) bool {
	for k, want := range selectors {
		v, ok := labels[k]
		if !ok {
			return false
		}
		found := false
		for _, w := range want {
			if w == v {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// AppTypeOf is the package format of a repo's apps, from its providers: kubernetes means Helm
// charts, anything else VM packages.
func AppTypeOf(repoProviders []string) string {
	for _, p := range repoProviders {
		if p == "kubernetes" {
			return AppTypeHelm
		}
	}
	return AppTypeVM
}
