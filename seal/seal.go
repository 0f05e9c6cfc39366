// Package seal encrypts secrets at rest with AES-256-GCM: the passwords,
// tokens and API keys of webhook definitions are stored sealed and opened
// only when a request is built.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the key length: AES-256.
const KeySize = 32

// KeyFileName is the key file generated in the data directory when no key
// is configured.
const KeyFileName = "secret.key"

// EnvKey is the setting that supplies the key.
const EnvKey = "HOOKLINE_SECRET_KEY"

// version prefixes every sealed value, so that the format or the key can
// change later while old values still open.
const version = "v1:"

// Sealer seals and opens secrets with one key. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// New returns a Sealer for a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext under a fresh random nonce and returns
// "v1:" followed by base64 (standard, unpadded) of nonce and ciphertext.
// The empty string seals to the empty string, so that absent secrets stay
// recognisably absent in the store.
func (s *Sealer) Seal(plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	buf := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	// crypto/rand.Read never returns an error; it crashes the program if
	// the system's randomness fails.
	_, _ = rand.Read(buf)
	buf = s.aead.Seal(buf, buf, []byte(plaintext), []byte(version))
	return version + base64.RawStdEncoding.EncodeToString(buf), nil
}

// ErrOpen is returned when a sealed value does not open: it was changed,
// cut, or sealed under another key.
var ErrOpen = errors.New("seal: sealed value does not open (tampered with, or sealed under another key)")

// Open decrypts a value made by Seal.
func (s *Sealer) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(sealed, version)
	if !ok {
		return "", fmt.Errorf("seal: unknown format (expected prefix %q)", version)
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil {
		return "", fmt.Errorf("seal: bad encoding: %w", err)
	}
	n := s.aead.NonceSize()
	if len(raw) < n+s.aead.Overhead() {
		return "", ErrOpen
	}
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(version))
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// ParseKey decodes a key given as base64 (standard or URL alphabet, padded
// or not) or hex of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("decodes to %d bytes, need %d", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("is neither base64 nor hex of %d bytes (generate one with: openssl rand -base64 32)", KeySize)
}

// LoadKey returns the key from envKey (the value of HOOKLINE_SECRET_KEY)
// when it is set, else from the key file in dataDir, and where it came
// from, for messages: EnvKey or the key file's path. When there is neither,
// the error wraps fs.ErrNotExist and source is the path the key file would
// have; nothing is created, so that a caller can first make sure that no
// secrets were sealed under a key that is now missing.
func LoadKey(dataDir, envKey string) (key []byte, source string, err error) {
	if strings.TrimSpace(envKey) != "" {
		k, err := ParseKey(envKey)
		if err != nil {
			return nil, EnvKey, fmt.Errorf("%s %w", EnvKey, err)
		}
		return k, EnvKey, nil
	}
	if dataDir == "" {
		return nil, EnvKey, fmt.Errorf("%s is unset and there is no data directory for a key file", EnvKey)
	}
	path := filepath.Join(dataDir, KeyFileName)
	k, err := readKeyFile(path)
	return k, path, err
}

// CreateKeyFile generates a key into the key file of dataDir (mode 0600),
// creating the directory if needed. When another process created the file
// first, its key is returned.
func CreateKeyFile(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, KeyFileName)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dataDir, err)
	}
	key := make([]byte, KeySize)
	_, _ = rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first: use theirs.
		return readKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write key file %s: %w", path, err)
	}
	return key, nil
}

func readKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s is accessible by other users (mode %v); run chmod 600 on it", path, info.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("key file %s %w", path, err)
	}
	return k, nil
}
