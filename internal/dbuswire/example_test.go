package dbuswire_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/moneypenny-go/keyring/internal/dbuswire"
)

// A GetSecret reply, (oayays), built into a buffer and its header read back.
func ExampleNewMethodReturn() {
	e := dbuswire.NewMethodReturn(nil, 2, 1, ":1.42", "(oayays)")
	e.BeginStruct()
	e.ObjectPath("/org/freedesktop/secrets/session/s1")
	e.Bytes(nil)               // no IV for the plain algorithm
	e.Bytes([]byte("hunter2")) // the secret
	e.String("text/plain")     // its content type
	frame, err := e.Finish()
	if err != nil {
		fmt.Println(err)
		return
	}

	h, err := dbuswire.ParseHeader(frame)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h.Type, h.ReplySerial, h.Destination, h.Signature)
	// Output: method_return 1 :1.42 (oayays)
}

// A SearchItems-style reply, (aoao): two arrays of object paths.
func ExampleEncoder_BeginArray() {
	e := dbuswire.NewMethodReturn(nil, 3, 2, "", "aoao")
	unlocked := e.BeginArray(4) // object paths align to 4
	e.ObjectPath("/org/freedesktop/secrets/collection/login/1")
	e.ObjectPath("/org/freedesktop/secrets/collection/login/2")
	e.EndArray(unlocked)
	e.EndArray(e.BeginArray(4)) // nothing locked
	frame, err := e.Finish()
	if err != nil {
		fmt.Println(err)
		return
	}

	h, _ := dbuswire.ParseHeader(frame)
	d := dbuswire.NewDecoder(h, frame)
	u, _ := d.ObjectPaths()
	l, _ := d.ObjectPaths()
	fmt.Println(len(u), len(l), d.Done())
	// Output: 2 0 <nil>
}

// Reading messages from a stream until it ends, reusing one buffer.
func ExampleReadFrame() {
	var stream bytes.Buffer
	for serial := uint32(1); serial <= 2; serial++ {
		msg, _ := dbuswire.AppendError(nil, serial, 10+serial, "", "org.freedesktop.Secret.Error.NoSuchObject", "no such item")
		stream.Write(msg)
	}

	var buf []byte
	for {
		frame, err := dbuswire.ReadFrame(&stream, buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		buf = frame
		h, err := dbuswire.ParseHeader(frame)
		if err != nil {
			fmt.Println(err)
			return
		}
		text, _ := dbuswire.NewDecoder(h, frame).String()
		fmt.Println(h.Serial, h.ReplySerial, h.ErrorName, text)
	}
	// Output:
	// 1 11 org.freedesktop.Secret.Error.NoSuchObject no such item
	// 2 12 org.freedesktop.Secret.Error.NoSuchObject no such item
}
