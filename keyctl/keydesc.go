package keyctl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/moneypenny-go/keyring/secret"
)

// keyDesc is KEYCTL_DESCRIBE's "type;uid;gid;perm;description".
type keyDesc struct {
	Type        string
	UID, GID    int
	Perm        uint32
	Description string
}

// parseDescribe splits a KEYCTL_DESCRIBE answer. The description is last
// and may itself contain ';'.
func parseDescribe(s string) (keyDesc, error) {
	f := strings.SplitN(s, ";", 5)
	if len(f) != 5 {
		return keyDesc{}, fmt.Errorf("describe answered %q: %w", s, secret.ErrCorrupt)
	}
	uid, err1 := strconv.Atoi(f[1])
	gid, err2 := strconv.Atoi(f[2])
	perm, err3 := strconv.ParseUint(f[3], 16, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		return keyDesc{}, fmt.Errorf("describe answered %q: %w", s, secret.ErrCorrupt)
	}
	return keyDesc{Type: f[0], UID: uid, GID: gid, Perm: uint32(perm), Description: f[4]}, nil
}
