package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newSealer(t *testing.T, b byte) *Sealer {
	t.Helper()
	s, err := New(bytes.Repeat([]byte{b}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	s := newSealer(t, 1)
	for _, plain := range []string{"", "x", "s3cr3t-token", "ünïcødé 🔑", strings.Repeat("long", 1000)} {
		sealed, err := s.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		if plain != "" && (!strings.HasPrefix(sealed, "v1:") || len(plain) > 4 && strings.Contains(sealed, plain)) {
			t.Fatalf("sealed %q = %q: want v1: prefix and no plaintext", plain, sealed)
		}
		got, err := s.Open(sealed)
		if err != nil || got != plain {
			t.Fatalf("Open(Seal(%q)) = %q, %v", plain, got, err)
		}
	}
	a, _ := s.Seal("same")
	b, _ := s.Seal("same")
	if a == b {
		t.Fatal("two seals of one plaintext are equal: nonce not random")
	}
}

func TestTamperAndWrongKey(t *testing.T) {
	s := newSealer(t, 1)
	sealed, _ := s.Seal("bearer-token-123")
	raw, _ := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	for i := range raw {
		mod := bytes.Clone(raw)
		mod[i] ^= 0x40
		if _, err := s.Open("v1:" + base64.RawStdEncoding.EncodeToString(mod)); !errors.Is(err, ErrOpen) {
			t.Fatalf("flipping byte %d: err = %v, want ErrOpen", i, err)
		}
	}
	if _, err := s.Open("v1:" + base64.RawStdEncoding.EncodeToString(raw[:len(raw)-1])); !errors.Is(err, ErrOpen) {
		t.Fatalf("cut value: err = %v", err)
	}
	if _, err := s.Open("v2:" + sealed[3:]); err == nil {
		t.Fatal("unknown version opened")
	}
	if _, err := s.Open("v1:!!!"); err == nil {
		t.Fatal("bad base64 opened")
	}
	if _, err := newSealer(t, 2).Open(sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("wrong key: err = %v, want ErrOpen", err)
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("16-byte key accepted")
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := loadOrCreateKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != KeySize {
		t.Fatalf("key length %d", len(k1))
	}
	info, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("key file mode %v, want 0600", perm)
	}
	k2, err := loadOrCreateKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, k2) {
		t.Fatal("second start generated a new key instead of reusing the file")
	}
	// A secret sealed on the first start opens on the second.
	s1, _ := New(k1)
	s2, _ := New(k2)
	sealed, _ := s1.Seal("kept")
	if got, err := s2.Open(sealed); err != nil || got != "kept" {
		t.Fatalf("reopen after restart: %q, %v", got, err)
	}

	if err := os.Chmod(filepath.Join(dir, KeyFileName), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateKey(dir, ""); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file: err = %v", err)
	}

	if err := os.WriteFile(filepath.Join(dir, KeyFileName), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, KeyFileName), 0o600)
	if _, err := loadOrCreateKey(dir, ""); err == nil || !strings.Contains(err.Error(), KeyFileName) {
		t.Fatalf("malformed key file: err = %v", err)
	}
}

func TestLoadKeyFromEnv(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	dir := t.TempDir()
	for _, env := range []string{
		base64.StdEncoding.EncodeToString(key),
		base64.RawURLEncoding.EncodeToString(key),
		hex.EncodeToString(key),
		" " + hex.EncodeToString(key) + "\n",
	} {
		got, err := loadOrCreateKey(dir, env)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("env %q: %x, %v", env, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !os.IsNotExist(err) {
		t.Fatal("a key file was written although the key came from the environment")
	}
	for _, bad := range []string{"nope", base64.StdEncoding.EncodeToString(key[:16]), hex.EncodeToString(key)[:62] + "zz"} {
		_, err := loadOrCreateKey(dir, bad)
		if err == nil || !strings.Contains(err.Error(), EnvKey) {
			t.Fatalf("env %q: err = %v, want one naming %s", bad, err, EnvKey)
		}
		if strings.Contains(err.Error(), bad) {
			t.Fatalf("error echoes the key: %v", err)
		}
	}
}

// TestLoadKeyCreatesNothing: LoadKey reports a missing key file without
// writing one, and names where each key came from.
func TestLoadKeyCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, KeyFileName)
	if _, source, err := LoadKey(dir, ""); !errors.Is(err, fs.ErrNotExist) || source != path {
		t.Fatalf("no key: source %q, err %v; want %s and fs.ErrNotExist", source, err, path)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("LoadKey wrote a key file (%v)", err)
	}
	created, err := CreateKeyFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k, source, err := LoadKey(dir, ""); err != nil || source != path || !bytes.Equal(k, created) {
		t.Fatalf("key file: source %q, err %v", source, err)
	}
	if _, source, err := LoadKey(dir, hex.EncodeToString(created)); err != nil || source != EnvKey {
		t.Fatalf("environment: source %q, err %v", source, err)
	}
}

// loadOrCreateKey is what a first start does: the configured key or the
// key file, made when there is none.
func loadOrCreateKey(dataDir, envKey string) ([]byte, error) {
	k, _, err := LoadKey(dataDir, envKey)
	if errors.Is(err, fs.ErrNotExist) {
		return CreateKeyFile(dataDir)
	}
	return k, err
}
