// Package dhsession is the transfer encryption of the Secret Service API:
// the algorithm "dh-ietf1024-sha256-aes128-cbc-pkcs7" that a client names in
// OpenSession so that secrets never cross the bus in the clear.
//
// The exchange, step by step:
//
//  1. The client picks a random private exponent x and sends X = 2^x mod p,
//     where p is the 1024-bit MODP prime of RFC 2409 ("Second Oakley
//     Group"). X goes out as exactly 128 big-endian bytes: kwalletd rejects a
//     shorter key, and a minimal encoding is shorter about one time in 256.
//  2. The service answers with its own public Y. Services do not pad it, so
//     Y is parsed from whatever length arrives (126 bytes is perfectly valid;
//     kwalletd sends 129, a 0x00 sign byte first, whenever the top bit is set).
//  3. Both sides compute Z = Y^x mod p and feed Z, left-padded with zeros to
//     128 bytes, to HKDF-SHA256 with no salt and no info, keeping 16 bytes:
//     the AES-128 key. Forgetting the padding gives a wrong key about one
//     session in 256, the bug several other clients shipped, and kwalletd 5
//     ships it too: it hashes Z unpadded. SharedKeyUnambiguous tells the
//     client when Z begins with a zero byte, so that it can redo the
//     exchange instead of disagreeing with such a service.
//  4. Each secret travels as AES-128-CBC over its PKCS#7-padded bytes, with a
//     fresh random 16-byte IV carried next to it in the Secret struct.
//
// gcr's "sx-aes-1" prompt exchange looks alike but is not this algorithm: it
// uses the 1536-bit group and hashes the shared secret's minimal bytes, not
// padded ones, so the test prompter (internal/testpeer) has its own code.
//
// Both exponentiations with a private exponent (the public key, and the
// shared secret) run in constant time (filippo.io/bigmod, the code
// crypto/rsa uses; math/big's Exp leaks the exponent's bits through timing),
// with the exponent at a fixed length: 256 bits (PrivateBits says why that
// loses nothing against a 1024-bit group). A service can keep the key pair of
// its next session generated ahead with Spare, which hands each pair out
// once.
//
// Nothing in this package logs, and no error carries key or secret bytes.
package dhsession
