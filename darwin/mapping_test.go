package darwin

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/moneypenny-go/keyring/secret"
)

func TestGenericRoundTrip(t *testing.T) {
	attrs := secret.Attributes{"service": "Ünï", "username": "名前", "b": "2", "a": "1"}
	g := encodeGeneric(attrs, secret.ContentTypeBinary)
	want := "moneypenny/1\n" + `{"attributes":{"a":"1","b":"2","service":"Ünï","username":"名前"},"contentType":"application/octet-stream"}`
	if string(g) != want {
		t.Fatalf("generic = %q\nwant      %q", g, want)
	}
	back, ours, err := decodeGeneric(g)
	if err != nil || !ours || !back.Attributes.Equal(attrs) || back.ContentType != secret.ContentTypeBinary {
		t.Fatalf("decode = %+v, %v, %v", back, ours, err)
	}
	if _, ours, err := decodeGeneric([]byte("something else")); ours || err != nil {
		t.Fatal("another program's generic data taken for ours")
	}
	if _, ours, err := decodeGeneric([]byte("moneypenny/2\n{}")); !ours || !errors.Is(err, secret.ErrUnsupportedFormat) {
		t.Fatalf("newer format: %v, %v", ours, err)
	}
	if _, _, err := decodeGeneric([]byte("moneypenny/1\n{bad")); !errors.Is(err, secret.ErrCorrupt) {
		t.Fatalf("damaged metadata: %v", err)
	}
}

func TestAccountFor(t *testing.T) {
	if a := accountFor(secret.Attributes{"service": "s", "username": "alice"}); a != "alice" {
		t.Fatalf("pair-like account %q", a)
	}
	if a := accountFor(secret.Attributes{"service": "s"}); a != "" {
		t.Fatalf("service-only account %q", a)
	}
	r1 := accountFor(secret.Attributes{"service": "s", "username": "alice", "x": "1"})
	r2 := accountFor(secret.Attributes{"service": "s", "username": "alice", "x": "2"})
	if r1 == r2 || !strings.HasPrefix(r1, "alice #") || len(r1) != len("alice #")+8 {
		t.Fatalf("rich accounts %q, %q", r1, r2)
	}
	if r1 != accountFor(secret.Attributes{"x": "1", "username": "alice", "service": "s"}) {
		t.Fatal("account depends on map order")
	}
	d := duplicateAccount(secret.Attributes{"service": "s", "username": "alice", "x": "1"})
	if d == r1 || !strings.HasPrefix(d, "alice #") || strings.Count(d, "#") != 1 {
		t.Fatalf("duplicate account %q", d)
	}
}

func TestDescribe(t *testing.T) {
	ours := found{Service: "s", Account: "u #12345678", Label: "L", Generic: encodeGeneric(secret.Attributes{"service": "s", "username": "u", "k": "v"}, "")}
	m, ok := describe(ours)
	if !ok || !m.ours || m.label != "L" || !m.attrs.Equal(secret.Attributes{"service": "s", "username": "u", "k": "v"}) {
		t.Fatalf("describe(ours) = %+v, %v", m, ok)
	}
	m, ok = describe(found{Service: "s", Account: "u", Label: "s"})
	if !ok || m.ours || !m.attrs.Equal(secret.Attributes{"service": "s", "username": "u"}) {
		t.Fatalf("describe(foreign) = %+v, %v", m, ok)
	}
	if _, ok := describe(found{Generic: []byte("moneypenny/9\n")}); ok {
		t.Fatal("an item of a newer format must be left alone")
	}
	for q, want := range map[string]bool{"service": true, "service,username": true, "username": false, "service,x": false, "": false} {
		query := secret.Attributes{}
		for _, n := range strings.Split(q, ",") {
			if n != "" {
				query[n] = "v"
			}
		}
		if got := foreignVisible(query); got != want {
			t.Errorf("foreignVisible(%v) = %v", query, got)
		}
	}
}

func TestDecodeForeign(t *testing.T) {
	for in, want := range map[string]string{
		"go-keyring-base64:cMOkc3N3w7ZyZA==": "pässwörd",
		"go-keyring-encoded:686578":          "hex",
		"plain":                              "plain",
		"go-keyring-base64:!!!":              "go-keyring-base64:!!!", // not base64: left as it is
	} {
		if got := string(decodeForeign([]byte(in))); got != want {
			t.Errorf("decodeForeign(%q) = %q, want %q", in, got, want)
		}
	}
	if contentTypeOf([]byte{0xff}) != secret.ContentTypeBinary || contentTypeOf([]byte("ok")) != secret.ContentTypeText {
		t.Fatal("contentTypeOf")
	}
}

func TestQueries(t *testing.T) {
	if got, want := searchQuery("", "svc", true), (dict{kSecClass: kSecClassGenericPassword, kSecAttrService: "svc",
		kSecMatchLimit: kSecMatchLimitAll, kSecReturnAttributes: true}); !reflect.DeepEqual(got, want) {
		t.Fatalf("searchQuery = %v", got)
	}
	if got := searchQuery("grp", "", false); got[kSecAttrAccessGroup] != "grp" || got[kSecAttrService] != nil {
		t.Fatalf("searchQuery without service = %v", got)
	}
	if got, want := readQuery("", "s", "a", true), (dict{kSecClass: kSecClassGenericPassword, kSecAttrService: "s",
		kSecAttrAccount: "a", kSecMatchLimit: kSecMatchLimitOne, kSecReturnAttributes: true, kSecReturnData: true}); !reflect.DeepEqual(got, want) {
		t.Fatalf("readQuery = %v", got)
	}
	add := addQuery("", found{Service: "s", Account: "a", Label: "l", Generic: []byte("g"), Data: []byte{}})
	if len(add) != 6 || add[kSecAttrLabel] != "l" || add[kSecValueData] == nil {
		t.Fatalf("addQuery = %v", add)
	}
	label := "new"
	if got := changes(nil, nil, &label, nil, nil); !reflect.DeepEqual(got, dict{kSecAttrLabel: "new"}) {
		t.Fatalf("changes = %v", got)
	}
}

func TestStatusErrors(t *testing.T) {
	for status, want := range map[int32]error{
		errSecItemNotFound:          secret.ErrNotFound,
		errSecInteractionNotAllowed: secret.ErrLocked,
		errSecUserCanceled:          secret.ErrDismissed,
		errSecAuthFailed:            secret.ErrWrongPassword,
		errSecDuplicateItem:         errDuplicate,
		errSecMissingEntitlement:    secret.ErrUnavailable,
		errSecNotAvailable:          secret.ErrUnavailable,
		errSecParam:                 secret.ErrInvalidArgument,
	} {
		if err := statusError("SecItemAdd", status); !errors.Is(err, want) || !strings.Contains(err.Error(), "SecItemAdd") {
			t.Errorf("status %d -> %v, want %v", status, err, want)
		}
	}
	if statusError("x", errSecSuccess) != nil {
		t.Fatal("success is not an error")
	}
	if err := statusError("x", -1); err == nil || !strings.Contains(err.Error(), "-1") {
		t.Fatalf("unknown status: %v", err)
	}
}
