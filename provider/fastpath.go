package provider

import (
	"sync"

	"github.com/godbus/dbus/v5"

	"github.com/moneypenny-go/keyring/internal/dbuswire"
	"github.com/moneypenny-go/keyring/secret"
)

// The calls a server made by Connect answers without godbus: the ones whose
// replies carry many secrets or paths. Each runs the same code as its godbus
// method (getSecrets, getSecret, searchAll); only the decoding of the
// arguments and the encoding of the reply differ. A call that does not have
// exactly the expected path, interface and signature goes to godbus, which
// answers it (or refuses it) as it always did.
type hotCall int

const (
	hotGetSecrets hotCall = iota + 1
	hotGetSecret
	hotSearchItems
)

// hotKind says whether h is one of the hot calls.
func hotKind(h *dbuswire.Header) hotCall {
	if h.Type != dbuswire.TypeMethodCall || h.UnixFDs != 0 || h.Sender == "" {
		return 0
	}
	switch h.Interface {
	case ifaceService:
		if h.Path != string(servicePath) {
			return 0
		}
		switch {
		case h.Member == "GetSecrets" && h.Signature == "aoo":
			return hotGetSecrets
		case h.Member == "SearchItems" && h.Signature == "a{ss}":
			return hotSearchItems
		}
	case ifaceItem:
		if h.Member == "GetSecret" && h.Signature == "o" && parsePath(dbus.ObjectPath(h.Path)).kind == targetItem {
			return hotGetSecret
		}
	}
	return 0
}

// takeHot is the fastConn's hook: it claims a hot call and answers it on a
// goroutine of its own, as godbus does every call.
func (s *Server) takeHot(h *dbuswire.Header, frame []byte) bool {
	kind := hotKind(h)
	if kind == 0 {
		return false
	}
	hdr := *h
	msg := append([]byte(nil), frame...)
	go s.answerHot(kind, &hdr, msg)
	return true
}

var replyBufs = sync.Pool{New: func() any { return new([]byte) }}

func (s *Server) answerHot(kind hotCall, h *dbuswire.Header, frame []byte) {
	bp := replyBufs.Get().(*[]byte)
	reply, sent := s.encodeHot(kind, h, frame, *bp)
	if h.Flags&dbuswire.FlagNoReplyExpected == 0 && reply != nil {
		if err := s.fast.send(reply); err != nil {
			s.logf("provider: reply to %s: %v", h.Member, err)
		}
	}
	// A plain session's secrets are in the reply as they are.
	secret.Wipe(reply)
	for _, ws := range sent {
		secret.Wipe(ws.Value)
	}
	if cap(reply) <= 1<<20 {
		*bp = reply[:0]
		replyBufs.Put(bp)
	}
}

// encodeHot runs the call and encodes its reply (or its error) into buf;
// sent is the secrets in the reply, for the caller to wipe.
func (s *Server) encodeHot(kind hotCall, h *dbuswire.Header, frame, buf []byte) (reply []byte, sent []wireSecret) {
	serial := s.fastSerial.Add(1) | 1<<31
	d := dbuswire.NewDecoder(*h, frame)
	var e *dbus.Error
	var enc *dbuswire.Encoder
	switch kind {
	case hotGetSecrets:
		items, _ := d.ObjectPaths()
		session, _ := d.ObjectPath()
		if err := d.Done(); err != nil {
			e = invalidArgs("GetSecrets takes (ao items, o session)")
			break
		}
		paths := make([]dbus.ObjectPath, len(items))
		for i, p := range items {
			paths[i] = dbus.ObjectPath(p)
		}
		var found []itemSecret
		if found, e = s.getSecrets(h.Sender, paths, dbus.ObjectPath(session)); e != nil {
			break
		}
		enc = dbuswire.NewMethodReturn(buf, serial, h.Serial, h.Sender, "a{o(oayays)}")
		m := enc.BeginArray(8)
		for _, f := range found {
			enc.BeginStruct()
			enc.ObjectPath(string(f.path))
			encodeSecret(enc, f.secret)
			sent = append(sent, f.secret)
		}
		enc.EndArray(m)
	case hotGetSecret:
		session, _ := d.ObjectPath()
		if err := d.Done(); err != nil {
			e = invalidArgs("GetSecret takes (o session)")
			break
		}
		var ws wireSecret
		if ws, e = s.getSecret(h.Sender, dbus.ObjectPath(h.Path), dbus.ObjectPath(session)); e != nil {
			break
		}
		sent = append(sent, ws)
		enc = dbuswire.NewMethodReturn(buf, serial, h.Serial, h.Sender, "(oayays)")
		encodeSecret(enc, ws)
	case hotSearchItems:
		attrs, _ := d.StringMap()
		if err := d.Done(); err != nil {
			e = invalidArgs("SearchItems takes (a{ss} attributes)")
			break
		}
		var unlocked, locked []dbus.ObjectPath
		if unlocked, locked, e = s.searchAll(secret.Attributes(attrs)); e != nil {
			break
		}
		enc = dbuswire.NewMethodReturn(buf, serial, h.Serial, h.Sender, "aoao")
		for _, list := range [][]dbus.ObjectPath{unlocked, locked} {
			m := enc.BeginArray(4)
			for _, p := range list {
				enc.ObjectPath(string(p))
			}
			enc.EndArray(m)
		}
	}
	if e == nil {
		msg, err := enc.Finish()
		if err == nil {
			return msg, sent
		}
		// A store gave something D-Bus cannot carry (say, a content
		// type that is not UTF-8): an error, not a broken message.
		s.logf("provider: encode the reply to %s: %v", h.Member, err)
		buf = enc.Buffer()
		secret.Wipe(buf)
		e = dbusErr(errorFailed, "the reply cannot be encoded")
	}
	var text string
	if len(e.Body) > 0 {
		text, _ = e.Body[0].(string)
	}
	msg, err := dbuswire.AppendError(buf[:0], serial, h.Serial, h.Sender, e.Name, text)
	if err != nil {
		s.logf("provider: encode the error %s: %v", e.Name, err)
		return nil, sent
	}
	return msg, sent
}

// encodeSecret writes a Secret struct (oayays).
func encodeSecret(enc *dbuswire.Encoder, ws wireSecret) {
	enc.BeginStruct()
	enc.ObjectPath(string(ws.Session))
	enc.Bytes(ws.Parameters)
	enc.Bytes(ws.Value)
	enc.String(ws.ContentType)
}
