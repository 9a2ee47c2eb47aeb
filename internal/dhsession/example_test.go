package dhsession_test

import (
	"fmt"

	"github.com/moneypenny-go/keyring/internal/dhsession"
)

// Both ends of an exchange derive the same AES key, then one encrypts a
// secret that the other decrypts.
func Example() {
	g := dhsession.Oakley1024()
	client, _ := dhsession.GenerateKey(g, nil)
	service, _ := dhsession.GenerateKey(g, nil)

	// Each side sends its public key; the client's is always 128 bytes.
	clientKey, _ := client.SharedKey(service.PublicKey())
	serviceKey, _ := service.SharedKey(client.PublicKey())

	enc, _ := dhsession.NewCipher(clientKey)
	dec, _ := dhsession.NewCipher(serviceKey)
	iv, ct, _ := enc.Encrypt(nil, []byte("hunter2"))
	plain, _ := dec.Decrypt(iv, ct)
	fmt.Println(len(client.PublicKey()), len(iv), len(ct), string(plain))
	// Output: 128 16 16 hunter2
}

// A service keeps the key pair of its next session generated ahead, so that
// answering OpenSession costs one exponentiation (the shared secret), not
// two. Each pair is handed out once.
func ExampleSpare() {
	g := dhsession.Oakley1024()
	spare := dhsession.NewSpare(g)
	defer spare.Close() // wipes a pair nobody took
	spare.Refill()      // once the service is up

	client, _ := dhsession.GenerateKey(g, nil)
	service, _ := spare.Take() // the spare if ready, else a new pair
	defer service.Wipe()
	spare.Refill() // when the machine has a moment

	padded, _, _ := service.SharedKeys(client.PublicKey())
	clientKey, _ := client.SharedKey(service.PublicKey())
	fmt.Println(string(padded) == string(clientKey))
	// Output: true
}
