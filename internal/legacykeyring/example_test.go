package legacykeyring_test

import (
	"fmt"
	"os"
	"sort"

	"github.com/moneypenny-go/keyring/internal/legacykeyring"
	"github.com/moneypenny-go/keyring/secret"
)

// Reading a keyring gnome-keyring-daemon wrote: the labels and attributes
// come from the decrypted items, and each secret is the caller's to wipe.
func ExampleParse() {
	data, err := os.ReadFile("../../testdata/legacykeyring/login.keyring")
	if err != nil {
		fmt.Println(err)
		return
	}
	if !legacykeyring.IsLegacy(data) {
		fmt.Println("not a gnome-keyring v0 file")
		return
	}
	name, recs, err := legacykeyring.Parse(data, []byte("moneypenny-v0"))
	if err != nil {
		fmt.Println(err)
		return
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Label < recs[j].Label })
	fmt.Println("keyring:", name)
	for _, r := range recs {
		fmt.Println(r.Label, r.Attributes)
		secret.Wipe(r.Secret)
	}

	_, _, err = legacykeyring.Parse(data, []byte("guess"))
	fmt.Println(err)
	// Output:
	// keyring: Login
	// GitHub token for alice {service=github.com, username=alice}
	// Multi-line note {application=moneypenny-fixture, kind=multiline, xdg:schema=org.gnome.keyring.Note}
	// Postgres (prod) — bob {port=5432, service=db.example.org, user=bob}
	// legacykeyring: checksum mismatch: wrong password
}
