package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
)

// Meta is package.json: the package's identity and store metadata.
type Meta struct {
	Name        string       `json:"name"`
	Version     string       `json:"version"`
	AppVersion  string       `json:"app_version,omitempty"`
	Description string       `json:"description,omitempty"`
	Home        string       `json:"home,omitempty"`
	Icon        string       `json:"icon,omitempty"`
	Maintainers []Maintainer `json:"maintainers,omitempty"`
	Keywords    []string     `json:"keywords,omitempty"`
	Sources     []string     `json:"sources,omitempty"`
	Screenshots []string     `json:"screenshots,omitempty"`
}

// Maintainer is one person or team responsible for a package.
type Maintainer struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9]([a-z0-9_.-]{0,62}[a-z0-9])?$`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.+-]{0,62})$`)
)

// parseMeta decodes package.json and checks it.
func parseMeta(data []byte) (Meta, error) {
	var m Meta
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return m, fmt.Errorf("trailing data after the JSON object")
	}
	return m, m.validate()
}

func (m *Meta) validate() error {
	switch {
	case m.Name == "":
		return fmt.Errorf("name is required")
	case !nameRE.MatchString(m.Name):
		return fmt.Errorf("name %q must be lower-case letters, digits, '-', '_' or '.' (at most 64)", m.Name)
	case m.Version == "":
		return fmt.Errorf("version is required")
	case !versionRE.MatchString(m.Version):
		return fmt.Errorf("version %q must be letters, digits, '.', '-', '_' or '+' (at most 64)", m.Version)
	}
	for i, mt := range m.Maintainers {
		if mt.Name == "" {
			return fmt.Errorf("maintainers[%d].name is required", i)
		}
	}
	return nil
}
