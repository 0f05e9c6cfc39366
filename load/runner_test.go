package load

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	return Config{
		Scenario: apiGetScenario(), Rounds: 3, Connections: 32, Duration: 5 * time.Second, Warmup: time.Second,
		RequestTimeout: 10 * time.Second, Executable: "/bin/hookline",
	}
}

func TestConfigCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"valid", func(*Config) {}, ""},
		{"valid target", func(c *Config) { c.Target, c.AdminToken, c.PID = "http://127.0.0.1:8080", "t", 42 }, ""},
		{"no rounds", func(c *Config) { c.Rounds = 0 }, "Rounds: 0"},
		{"no connections", func(c *Config) { c.Connections = 0 }, "Connections: 0"},
		{"too long", func(c *Config) { c.Duration = time.Hour }, "Duration: 1h0m0s"},
		{"negative warmup", func(c *Config) { c.Warmup = -time.Second }, "Warmup: -1s"},
		{"remote target", func(c *Config) { c.Target, c.AdminToken = "http://10.0.0.1:8080", "t" }, "Target: "},
		{"target without token", func(c *Config) { c.Target = "http://127.0.0.1:8080" }, "AdminToken: required"},
		{"pid without target", func(c *Config) { c.PID = 7 }, "PID: only with a target"},
	}
	for _, tc := range tests {
		c := validConfig()
		tc.change(&c)
		err := c.Check()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	c := validConfig()
	if b := c.Bound(); b < 6*c.Duration || b > 10*time.Minute {
		t.Errorf("bound %v for 3 rounds of 5s", b)
	}
}

func validDeliveryConfig() Config {
	c := validConfig()
	c.Scenario = deliveryDrainScenario()
	c.Backlog, c.Keys, c.Nodes, c.Workers, c.PerTarget = 20000, 1000, 1, 64, 128
	return c
}

func TestDeliveryConfigCheck(t *testing.T) {
	pg := []string{"HOOKLINE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"valid", func(*Config) {}, ""},
		{"publish", func(c *Config) { c.Scenario = deliveryPublishScenario() }, ""},
		{"three nodes on PostgreSQL", func(c *Config) { c.Nodes, c.Environ = 3, pg }, ""},
		{"a million", func(c *Config) { c.Backlog = 1_000_000 }, ""},
		{"three nodes on SQLite", func(c *Config) { c.Nodes = 3 }, "Nodes: 3 processes need PostgreSQL"},
		{"three nodes on a SQLite URL", func(c *Config) { c.Nodes, c.Environ = 3, []string{"HOOKLINE_DATABASE_URL=sqlite:/x.db"} }, "Nodes: 3 processes need PostgreSQL"},
		{"no backlog", func(c *Config) { c.Backlog = 0 }, "Backlog: 0"},
		{"huge backlog", func(c *Config) { c.Backlog = maxBacklog + 1 }, "Backlog: 10000001"},
		{"no keys", func(c *Config) { c.Keys = 0 }, "Keys: 0"},
		{"no nodes", func(c *Config) { c.Nodes = 0 }, "Nodes: 0"},
		{"no workers", func(c *Config) { c.Workers = 0 }, "Workers: 0"},
		{"per target", func(c *Config) { c.PerTarget = 2000 }, "PerTarget: 2000"},
		{"negative phase", func(c *Config) { c.PhaseTimeout = -time.Second }, "PhaseTimeout: -1s"},
		{"a target", func(c *Config) { c.Target, c.AdminToken = "http://127.0.0.1:8080", "t" }, "Target: not with a delivery scenario"},
	}
	for _, tc := range tests {
		c := validDeliveryConfig()
		tc.change(&c)
		err := c.Check()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	c := validDeliveryConfig()
	if c.phaseTimeout() != time.Minute+100*time.Second {
		t.Errorf("phase timeout %v for 20,000", c.phaseTimeout())
	}
	if b := c.Bound(); b < 3*3*c.phaseTimeout() || b > 3*time.Hour {
		t.Errorf("bound %v for 3 rounds of 20,000", b)
	}
	c.PhaseTimeout = time.Second
	if c.phaseTimeout() != time.Second {
		t.Errorf("phase timeout %v, set to 1s", c.phaseTimeout())
	}
	if _, err := RunDeliveries(t.Context(), validConfig()); err == nil || !strings.Contains(err.Error(), "not a delivery scenario") {
		t.Errorf("RunDeliveries ran a request scenario: %v", err)
	}
	if _, err := RunDeliveries(t.Context(), Config{Scenario: deliveryDrainScenario()}); err == nil || !strings.Contains(err.Error(), "Backlog: 0") {
		t.Errorf("RunDeliveries ran an unchecked configuration: %v", err)
	}
	if env := withEnv([]string{"A=1", "B=2", "AB=3"}, "A", "9"); strings.Join(env, " ") != "B=2 AB=3 A=9" {
		t.Errorf("withEnv: %q", env)
	}
}

func TestChildEnvironments(t *testing.T) {
	environ := []string{"PATH=/bin", "HOOKLINE_ADDR=0.0.0.0:80", "HOOKLINE_DATABASE_URL=postgres://x", "HOOKLINE_SECRET_KEY=k", "HOOKLINE_ADMIN_TOKEN=theirs", "HOOKLINE_LOG_LEVEL=debug"}
	server := serverEnviron(environ, "ours-0123456789abcdef")
	want := []string{"PATH=/bin", "HOOKLINE_DATABASE_URL=postgres://x", "HOOKLINE_SECRET_KEY=k", "HOOKLINE_ADMIN_TOKEN=ours-0123456789abcdef", "HOOKLINE_EGRESS_ALLOW=127.0.0.1/32"}
	if !slices.Equal(server, want) {
		t.Fatalf("server environment %q, want %q", server, want)
	}
	if peer := peerEnviron(environ); !slices.Equal(peer, []string{"PATH=/bin"}) {
		t.Fatalf("peer environment %q", peer)
	}
	if environValue(environ, "HOOKLINE_SECRET_KEY") != "k" || environValue(environ, "NONE") != "" {
		t.Fatal("environValue")
	}
	a, err := newAdminToken()
	b, _ := newAdminToken()
	if err != nil || a == b || len(a) < 40 {
		t.Fatalf("admin tokens %q %q %v", a, b, err)
	}
}

func TestListeningAddr(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ log, want string }{
		{`{"time":"x","level":"INFO","msg":"migration applied"}` + "\n" + `{"time":"x","level":"INFO","msg":"listening","addr":"127.0.0.1:4321","data":"d"}` + "\n", "127.0.0.1:4321"},
		{`{"msg":"listening"}` + "\n", ""},
		{`not json "listening"` + "\n", ""},
		{"", ""},
	}
	for i, tc := range tests {
		p := filepath.Join(dir, "log")
		if err := os.WriteFile(p, []byte(tc.log), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := listeningAddr(p); got != tc.want {
			t.Errorf("case %d: %q, want %q", i, got, tc.want)
		}
	}
	if listeningAddr(filepath.Join(dir, "missing")) != "" {
		t.Error("a missing log gave an address")
	}
}
