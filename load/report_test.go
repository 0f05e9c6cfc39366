package load

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestSpreadOf(t *testing.T) {
	tests := []struct {
		values []float64
		want   Spread
	}{
		{[]float64{3}, Spread{3, 3, 3}},
		{[]float64{5, 1, 3}, Spread{3, 1, 5}},
		{[]float64{4, 1, 3, 2}, Spread{2.5, 1, 4}},
		{[]float64{0.2, 0.2, 0.9, 0.1, 0.3}, Spread{0.2, 0.1, 0.9}},
	}
	if quotient(1, 0) != 0 || quotient(1, 4) != 0.25 {
		t.Error("quotient")
	}
	for _, tc := range tests {
		if got := spreadOf(tc.values); got != tc.want {
			t.Errorf("spreadOf(%v) = %+v, want %+v", tc.values, got, tc.want)
		}
	}
	if s := spreadOf(nil); s != (Spread{}) {
		t.Errorf("spreadOf(nil) = %+v", s)
	}
}

// measurementOf makes a measurement of rate requests per second over one
// second, with the given server CPU per request.
func measurementOf(rate float64, serverCPU time.Duration, failed uint64) Measurement {
	s := &Sample{Requests: uint64(rate), Elapsed: time.Second, Non2xx: failed, FirstError: "status 500: boom"}
	for range 100 {
		s.Latency.Record(2 * time.Millisecond)
	}
	m := newMeasurement(s, 10*time.Millisecond)
	m.setServerCPU(serverCPU * time.Duration(rate))
	return m
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name        string
		ratios      []float64
		wantMedian  float64
		wantVerdict string
		floor, goal bool
	}{
		{"below the floor", []float64{0.20, 0.30, 0.10}, 0.20, "below the floor: 20% of the hello", false, false},
		{"floor met", []float64{0.25, 0.39, 0.30}, 0.30, "floor met, goal not: 30%", true, false},
		{"goal met", []float64{0.40, 0.60, 0.10, 0.50}, 0.45, "goal met: 45%", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Scenario: "api-get", Baseline: "hello", Floor: 0.25, Goal: 0.40}
			for _, ratio := range tc.ratios {
				r.addRound("hookline", measurementOf(10000*ratio, 100*time.Microsecond, 0), measurementOf(10000, 25*time.Microsecond, 0))
			}
			r.summarize()
			res := r.Results
			if math.Abs(res.Ratio.Median-tc.wantMedian) > 1e-9 || res.FloorMet != tc.floor || res.GoalMet != tc.goal {
				t.Fatalf("median %v floor %v goal %v; want %v %v %v", res.Ratio.Median, res.FloorMet, res.GoalMet, tc.wantMedian, tc.floor, tc.goal)
			}
			if !strings.HasPrefix(res.Verdict, tc.wantVerdict) {
				t.Fatalf("verdict %q, want it to start with %q", res.Verdict, tc.wantVerdict)
			}
			if res.CPURatio == nil || math.Abs(*res.CPURatio-4) > 1e-9 {
				t.Fatalf("CPU ratio %v, want 4", res.CPURatio)
			}
			if res.Hookline.P50Ms.Median < 1.98 || res.Hookline.P50Ms.Median > 2.02 {
				t.Fatalf("p50 %v ms, want 2", res.Hookline.P50Ms.Median)
			}
		})
	}
}

// TestReportOutput checks the table and the JSON of a report with a
// failed round and a target whose CPU is not measured.
func TestReportOutput(t *testing.T) {
	r := &Report{Scenario: "webhook-run", Summary: "runs", Baseline: "forwarder", Floor: 0.33, Goal: 0.5, Connections: 32, DurationSeconds: 5, WarmupSeconds: 1}
	noCPU := measurementOf(3000, 0, 0)
	noCPU.ServerCPUMicros = nil
	r.addRound("hookline", noCPU, measurementOf(10000, 100*time.Microsecond, 0))
	r.addRound("forwarder", measurementOf(3500, 300*time.Microsecond, 2), measurementOf(9000, 100*time.Microsecond, 0))
	r.summarize()
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"scenario webhook-run", "hookline / forwarder throughput: per round 0.300 0.389; median 0.344 (0.300–0.389)",
		"round 2 hookline: FAILED 2 of 3500", "n/a", "floor met, goal not", "1 of 2 rounds had failed requests",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	if r.Results.Hookline.ServerCPUMicros != nil || r.Results.CPURatio != nil {
		t.Error("a median server CPU was reported with a round that did not measure it")
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Rounds []struct {
			Hookline struct {
				Throughput float64  `json:"requests_per_second"`
				ServerCPU  *float64 `json:"server_cpu_us_per_request"`
			}
		}
		Results struct {
			Ratio        Spread
			FailedRounds int `json:"failed_rounds"`
		}
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("%v in %s", err, js.String())
	}
	if len(back.Rounds) != 2 || back.Rounds[0].Hookline.Throughput != 3000 || back.Rounds[0].Hookline.ServerCPU != nil ||
		back.Rounds[1].Hookline.ServerCPU == nil || back.Results.FailedRounds != 1 || back.Results.Ratio.Max != 3500.0/9000 {
		t.Fatalf("JSON read back: %+v", back)
	}
}

// TestRateFloorAndPacedRounds checks a scenario whose floor is a rate and
// whose goal is a share, and the paced rounds' part of the report.
func TestRateFloorAndPacedRounds(t *testing.T) {
	for _, tc := range []struct {
		rate        float64
		wantVerdict string
		floor, goal bool
	}{
		{4000, "below the floor: 4000/s, 16% of the bare-hook (goal 50%, floor 10000/s)", false, false},
		{12000, "floor met, goal not: 12000/s, 48%", true, false},
		{13000, "goal met: 13000/s, 52%", true, true},
	} {
		r := &Report{Scenario: "bot-sync", Baseline: "bare-hook", FloorPerSecond: 10000, Goal: 0.5, Sessions: 10000, StoredSessions: 1000000, FillSeconds: 12.5}
		r.addRound("hookline", measurementOf(tc.rate, 100*time.Microsecond, 0), measurementOf(25000, 30*time.Microsecond, 0))
		r.summarize()
		if !strings.HasPrefix(r.Results.Verdict, tc.wantVerdict) || r.Results.FloorMet != tc.floor || r.Results.GoalMet != tc.goal {
			t.Errorf("rate %v: verdict %q (floor %v, goal %v), want %q", tc.rate, r.Results.Verdict, r.Results.FloorMet, r.Results.GoalMet, tc.wantVerdict)
		}
	}
	// The goal (a share) met without the floor (a rate): a slow baseline.
	r := &Report{Scenario: "bot-sync", Baseline: "bare-hook", FloorPerSecond: 10000, Goal: 0.5}
	r.addRound("hookline", measurementOf(6000, 100*time.Microsecond, 0), measurementOf(9000, 30*time.Microsecond, 0))
	r.summarize()
	if !strings.HasPrefix(r.Results.Verdict, "goal met, floor not: 6000/s") || r.Results.FloorMet || !r.Results.GoalMet {
		t.Errorf("verdict %q", r.Results.Verdict)
	}

	paced := &PacedReport{Share: 0.5, Rate: 3000}
	late := measurementOf(3000, 100*time.Microsecond, 3)
	late.Scheduled = 3000
	paced.addRound("hookline", late, measurementOf(3000, 30*time.Microsecond, 0))
	paced.addRound("bare-hook", measurementOf(3000, 100*time.Microsecond, 0), measurementOf(3000, 30*time.Microsecond, 0))
	paced.summarize()
	r.Paced = paced
	r.Sessions, r.StoredSessions, r.FillSeconds = 10000, 1000000, 12.5
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"10000 users taking turns; 1000000 open sessions stored before the load (in 12.5 s)",
		"paced rounds: both targets at 3000 req/s (50% of hookline's median throughput)",
		"paced round 1 hookline: FAILED 3 of 3000", "1 of 2 paced rounds had failed or unsent requests",
		"paced medians (min–max): hookline p50 2.00 (2.00–2.00) ms",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		StoredSessions int `json:"stored_sessions"`
		Paced          struct {
			Rate   float64 `json:"requests_per_second"`
			Rounds []struct {
				Hookline struct {
					Scheduled uint64 `json:"scheduled"`
				}
			}
			Hookline Stats
		}
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.StoredSessions != 1000000 || back.Paced.Rate != 3000 || len(back.Paced.Rounds) != 2 || back.Paced.Rounds[0].Hookline.Scheduled != 3000 ||
		back.Paced.Hookline.P99Ms.Median < 1.98 {
		t.Fatalf("JSON read back: %+v", back)
	}
}
