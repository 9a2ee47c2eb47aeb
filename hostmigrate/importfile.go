package hostmigrate

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/moneypenny-go/keyring/filekeyring"
	"github.com/moneypenny-go/keyring/internal/legacykeyring"
	"github.com/moneypenny-go/keyring/secret"
)

// ImportFile copies every item of the keyring file at path into dst in one
// write: a gnome-keyring v0 .keyring file (as gnome-keyring-daemon keeps under
// ~/.local/share/keyrings) or a libsecret v1 file. The source file is only
// read, never changed, so Options.Keep and Options.Collection do not apply;
// Replace and DryRun work as in Migrate, and re-importing is harmless (the
// items come back as AlreadyPresent).
//
// A password that does not open the file gives an error wrapping
// secret.ErrWrongPassword, and nothing is written.
func ImportFile(ctx context.Context, dst *filekeyring.Keyring, path string, password []byte, opts Options) (Report, error) {
	var rep Report
	if dst == nil {
		return rep, fmt.Errorf("hostmigrate: nil keyring: %w", secret.ErrInvalidArgument)
	}
	cands, err := readFile(path, password)
	if err != nil {
		return rep, err
	}
	defer wipeAll(cands)
	progress := newProgress(opts.Progress, len(cands))
	done, err := apply(ctx, dst, cands, opts, &rep, progress)
	if err == nil {
		progress.finish(len(done))
	}
	return rep, err
}

func readFile(path string, password []byte) ([]*candidate, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, fmt.Errorf("hostmigrate: %s: %w", path, err)
	}
	if legacykeyring.IsLegacy(data) {
		_, recs, err := legacykeyring.Parse(data, password)
		if err != nil {
			return nil, fmt.Errorf("hostmigrate: %s: %w", path, err)
		}
		cands := make([]*candidate, len(recs))
		for i, r := range recs {
			cands[i] = &candidate{
				entry: Entry{Label: r.Label, Attributes: r.Attributes, HostPath: path},
				// v0 files store no content type; the bytes are kept as
				// they are and no attribute is invented to say so.
				value:   secret.New(r.Secret),
				created: r.Created, modified: r.Modified,
			}
		}
		return cands, nil
	}
	recs, err := filekeyring.ReadFile(path, password)
	if err != nil {
		return nil, fmt.Errorf("hostmigrate: %w", err)
	}
	cands := make([]*candidate, len(recs))
	for i, r := range recs {
		cands[i] = &candidate{
			entry:   Entry{Label: r.Label, Attributes: r.Attributes, HostPath: path},
			value:   r.Secret,
			created: r.Created, modified: r.Modified,
		}
	}
	return cands, nil
}

// readLimited reads a file of at most filekeyring.MaxFileSize bytes. Its
// size is a claim (a sparse file costs no disk), so a larger one is refused
// before it is read, and the buffer grows only with bytes actually read.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooLarge := fmt.Errorf("larger than the %d MiB a keyring may have: %w", filekeyring.MaxFileSize>>20, secret.ErrTooLarge)
	if fi, err := f.Stat(); err == nil && fi.Size() > filekeyring.MaxFileSize {
		return nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, filekeyring.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > filekeyring.MaxFileSize {
		return nil, tooLarge
	}
	return data, nil
}
