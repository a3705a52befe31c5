package spec

// ReplacePasswords calls fn with the dotted path and value of every non-empty password item of
// conf (a conf as Merge returns it) and puts fn's result in its place. It is how the control
// plane swaps password values for references to their sealed copies before a conf is stored.
func (p *Package) ReplacePasswords(conf map[string]any, fn func(path, value string) string) {
	if p.Config == nil {
		return
	}
	replacePasswords(p.Config.Items, conf, "", fn)
}

func replacePasswords(items []*Item, conf map[string]any, prefix string, fn func(path, value string) string) {
	for _, it := range items {
		v, ok := conf[it.Key]
		if !ok {
			continue
		}
		path := prefix + it.Key
		if !it.Leaf() {
			if m, ok := v.(map[string]any); ok {
				replacePasswords(it.Properties, m, path+".", fn)
			}
			continue
		}
		if s, ok := v.(string); ok && it.Type == TypePassword && s != "" {
			conf[it.Key] = fn(path, s)
		}
	}
}
