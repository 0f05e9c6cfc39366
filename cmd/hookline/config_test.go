package main

import (
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestConfigDefaults(t *testing.T) {
	cfg, rest, err := loadConfig("serve", nil, envOf(), io.Discard)
	if err != nil || len(rest) != 0 {
		t.Fatalf("defaults: %v, %v", err, rest)
	}
	want := Config{Addr: "127.0.0.1:8080", DataDir: "hookline-data", MaxBodyBytes: 1 << 20, LogLevel: slog.LevelInfo, ShutdownTimeout: 10 * time.Second}
	withDeliveryDefaults(&want)
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("defaults = %+v, want %+v", cfg, want)
	}
}

func TestConfigSources(t *testing.T) {
	env := envOf("HOOKLINE_ADDR", "127.0.0.1:9000", "HOOKLINE_DATA", "/tmp/env-data",
		"HOOKLINE_ADMIN_TOKEN", "0123456789abcdef0123", "HOOKLINE_MAX_BODY_BYTES", "512KiB",
		"HOOKLINE_LOG_LEVEL", "DEBUG", "HOOKLINE_SHUTDOWN_TIMEOUT", "3s",
		"HOOKLINE_SECRET_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "HOOKLINE_EGRESS_ALLOW", "10.0.0.0/8")
	cfg, _, err := loadConfig("serve", []string{"--addr", "127.0.0.1:0", "--max-body-bytes=2048", "--egress-allow", "127.0.0.1, 192.168.1.0/24"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: "127.0.0.1:0", DataDir: "/tmp/env-data", AdminToken: "0123456789abcdef0123", MaxBodyBytes: 2048,
		LogLevel: slog.LevelDebug, ShutdownTimeout: 3 * time.Second, SecretKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		EgressAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("192.168.1.0/24")}}
	withDeliveryDefaults(&want)
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config = %+v, want %+v (flags win over the environment)", cfg, want)
	}
}

func TestPublicURL(t *testing.T) {
	cfg, _, err := loadConfig("serve", []string{"--public-url", "https://hooks.example.com/base/"}, envOf(), io.Discard)
	if err != nil || cfg.PublicURL != "https://hooks.example.com/base" {
		t.Fatalf("public url: %q, %v", cfg.PublicURL, err)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"addr env", nil, []string{"HOOKLINE_ADDR", "abc"}, `HOOKLINE_ADDR "abc": missing port`},
		{"addr flag", []string{"--addr", "localhost:http"}, nil, `--addr "localhost:http": port "http" must be a number from 0 to 65535`},
		{"port range", nil, []string{"HOOKLINE_ADDR", "127.0.0.1:70000"}, `HOOKLINE_ADDR "127.0.0.1:70000": port "70000" must be a number`},
		{"data file", []string{"--data", file}, nil, `--data "` + file + `": exists and is not a directory`},
		{"body size", nil, []string{"HOOKLINE_MAX_BODY_BYTES", "lots"}, `HOOKLINE_MAX_BODY_BYTES "lots": want a number of bytes`},
		{"body zero", []string{"--max-body-bytes", "0"}, nil, `--max-body-bytes "0": must be more than 0`},
		{"log level", nil, []string{"HOOKLINE_LOG_LEVEL", "loud"}, `HOOKLINE_LOG_LEVEL "loud": want debug, info, warn or error`},
		{"shutdown", nil, []string{"HOOKLINE_SHUTDOWN_TIMEOUT", "10"}, `HOOKLINE_SHUTDOWN_TIMEOUT "10": want a duration such as 10s`},
		{"token", nil, []string{"HOOKLINE_ADMIN_TOKEN", "short"}, `HOOKLINE_ADMIN_TOKEN: too short (5 characters)`},
		{"secret key", nil, []string{"HOOKLINE_SECRET_KEY", "short"}, `HOOKLINE_SECRET_KEY: is neither base64 nor hex of 32 bytes`},
		{"egress allow", nil, []string{"HOOKLINE_EGRESS_ALLOW", "127.0.0.1/32,10.0.0.0/33"}, `HOOKLINE_EGRESS_ALLOW "127.0.0.1/32,10.0.0.0/33": `},
		{"egress allow flag", []string{"--egress-allow", "localhost"}, nil, `--egress-allow "localhost": `},
		{"public url scheme", []string{"--public-url", "hooks.example.com"}, nil, `--public-url "hooks.example.com": must start with http:// or https://`},
		{"public url host", nil, []string{"HOOKLINE_PUBLIC_URL", "https:///path"}, `HOOKLINE_PUBLIC_URL "https:///path": has no host`},
		{"public url query", nil, []string{"HOOKLINE_PUBLIC_URL", "https://h.example.com/?a=1"}, `must not hold credentials, a query or a fragment`},
		{"public url creds", nil, []string{"HOOKLINE_PUBLIC_URL", "https://u:p@h.example.com"}, `must not hold credentials`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := loadConfig("serve", c.args, envOf(c.env...), io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %s", err, c.want)
			}
			if strings.Contains(err.Error(), "short\"") {
				t.Fatal("the error shows the admin token")
			}
		})
	}
	// Every bad setting is reported at once.
	_, _, err := loadConfig("serve", nil, envOf("HOOKLINE_ADDR", "abc", "HOOKLINE_LOG_LEVEL", "loud"), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HOOKLINE_ADDR") || !strings.Contains(err.Error(), "HOOKLINE_LOG_LEVEL") {
		t.Fatalf("two bad settings: %v", err)
	}
	if _, _, err := loadConfig("serve", []string{"--nope"}, envOf(), io.Discard); err == nil {
		t.Fatal("an unknown flag was accepted")
	}
}
