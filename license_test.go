package keyring

import (
	"os"
	"strings"
	"testing"
)

// TestLicense: the repository says under which terms it may be used, and
// the README says it too.
func TestLicense(t *testing.T) {
	b, err := os.ReadFile("LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	l := string(b)
	for _, want := range []string{"MIT License", "Copyright (c) ", "The Moneypenny authors",
		"Permission is hereby granted, free of charge", `THE SOFTWARE IS PROVIDED "AS IS"`} {
		if !strings.Contains(l, want) {
			t.Errorf("LICENSE lacks %q", want)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "## License") || !strings.Contains(string(readme), "MIT") || !strings.Contains(string(readme), "(LICENSE)") {
		t.Error("the README does not state the license")
	}
}
