package load

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScenarios(t *testing.T) {
	r := Scenarios()
	for _, name := range []string{"api-get", "webhook-run"} {
		s, ok := r.Lookup(name)
		if !ok || s.Summary == "" {
			t.Fatalf("scenario %q: %+v, %v", name, s, ok)
		}
	}
	if get, _ := r.Lookup("api-get"); get.Baseline != PeerHello || get.Floor != 0.25 || get.Goal != 0.40 {
		t.Fatalf("api-get: %+v", get)
	}
	if run, _ := r.Lookup("webhook-run"); run.Baseline != PeerForwarder || !run.NeedsReceiver || run.Floor != 0.33 || run.Goal != 0.50 {
		t.Fatalf("webhook-run: %+v", run)
	}
	for name, publish := range map[string]bool{"delivery-drain": false, "delivery-publish": true} {
		s, ok := r.Lookup(name)
		if !ok || s.Deliveries == nil || s.Deliveries.Publish != publish || s.Deliveries.FloorPerSecond != 10000 || s.Deliveries.GoalPerSecond != 15000 || s.Setup != nil {
			t.Fatalf("%s: %+v", name, s)
		}
	}
	if r.Names() != "api-get, webhook-run, delivery-drain, delivery-publish" {
		t.Fatalf("names %q", r.Names())
	}
}

func TestNewRegistryRejects(t *testing.T) {
	setup := func(context.Context, SetupEnv) (Request, error) { return Request{}, nil }
	ok := Scenario{Name: "a", Baseline: PeerHello, Floor: 0.1, Goal: 0.2, Setup: setup}
	tests := []struct {
		name      string
		scenarios []Scenario
		want      string
	}{
		{"twice", []Scenario{ok, ok}, "registered twice"},
		{"no setup", []Scenario{{Name: "b", Baseline: PeerHello, Floor: 0.1, Goal: 0.2}}, "a name and a setup"},
		{"receiver as baseline", []Scenario{{Name: "b", Baseline: PeerReceiver, Floor: 0.1, Goal: 0.2, Setup: setup}}, "not hello or forwarder"},
		{"goal below floor", []Scenario{{Name: "b", Baseline: PeerHello, Floor: 0.3, Goal: 0.2, Setup: setup}}, "floor <= goal"},
		{"delivery with a setup", []Scenario{{Name: "d", Setup: setup, Deliveries: &DeliveryScenario{FloorPerSecond: 1, GoalPerSecond: 2}}}, "no setup, baseline"},
		{"delivery with a baseline", []Scenario{{Name: "d", Baseline: PeerHello, Deliveries: &DeliveryScenario{FloorPerSecond: 1, GoalPerSecond: 2}}}, "no setup, baseline"},
		{"delivery goal below floor", []Scenario{{Name: "d", Deliveries: &DeliveryScenario{FloorPerSecond: 2, GoalPerSecond: 1}}}, "deliveries/s"},
		{"delivery without floor", []Scenario{{Name: "d", Deliveries: &DeliveryScenario{}}}, "0 < floor"},
	}
	for _, tc := range tests {
		if _, err := NewRegistry(tc.scenarios...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestSeedBodyIsTheBenchmarkTemplate keeps the scenario's body the same
// as the template the webhook and jinja benchmarks render.
func TestSeedBodyIsTheBenchmarkTemplate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "jinja", "testdata", "bench", "seed_body.j2"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != seedBody {
		t.Fatal("seedBody differs from jinja/testdata/bench/seed_body.j2")
	}
}
