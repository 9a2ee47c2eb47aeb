package windows

import "testing"

// testAPI is the real advapi32: under Wine (scripts/wine/test-windows.sh) or
// on Windows.
func testAPI(t *testing.T) credAPI {
	t.Helper()
	api, err := systemAPI()
	if err != nil {
		t.Fatalf("advapi32: %v", err)
	}
	return api
}
