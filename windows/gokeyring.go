package windows

import (
	"strings"

	"github.com/moneypenny-go/keyring/secret"
)

// goKeyringPair reports whether attrs are exactly {service, username}, the
// pair zalando/go-keyring (and python-keyring's wincred backend) store as
// target "service:username".
func goKeyringPair(attrs secret.Attributes) (service, user string, ok bool) {
	service, hasService := attrs["service"]
	user, hasUser := attrs["username"]
	return service, user, hasService && hasUser && len(attrs) == 2
}

// isGoKeyring reports whether c is a go-keyring credential of service: its
// target is exactly "service:" + its UserName and its blob is not one of ours.
// The UserName test keeps other programs' "name:something" targets (git's
// "git:https://...", for one) out of service searches.
func isGoKeyring(c *credential, service string) bool {
	if _, ours, _ := parseHead(c.Blob); ours {
		return false
	}
	return c.Target == service+":"+c.UserName
}

// containsWildcard reports whether s cannot be part of a CredEnumerateW
// filter, which treats '*' as a wildcard.
func containsWildcard(s string) bool { return strings.Contains(s, "*") }
