package load

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func side(rate float64) DeliverySide {
	return newDeliverySide(SinkStatus{Want: 1000, Received: 1000}, time.Duration(1000/rate*float64(time.Second)), 200*time.Millisecond, 20*time.Millisecond)
}

func deliveryReportOf(hookline, bare []float64, change func(*DeliveryRound)) *DeliveryReport {
	cfg := Config{Scenario: deliveryDrainScenario(), Backlog: 1000, Keys: 100, Nodes: 1, Workers: 64, PerTarget: 128, Connections: 32}
	r := newDeliveryReport(cfg, "SQLite")
	for i := range hookline {
		rd := DeliveryRound{Round: i + 1, First: "hookline", Hookline: side(hookline[i]), Baseline: side(bare[i])}
		rd.Hookline.RSS = []RSS{{StartMB: 30, MiddleMB: 31, EndMB: 32}}
		if change != nil {
			change(&rd)
		}
		r.addRound(rd)
	}
	r.summarize()
	return r
}

func TestDeliveryVerdicts(t *testing.T) {
	tests := []struct {
		name          string
		hookline      []float64
		change        func(*DeliveryRound)
		wantMedian    float64
		floor, goal   bool
		wantVerdict   string
		wantInVerdict string
	}{
		{"goal", []float64{16000, 15000, 20000}, nil, 16000, true, true, "goal met: 16000 deliveries/s, 160% of the floor", "order per key held, 0 duplicates"},
		{"floor", []float64{9000, 12000, 11000}, nil, 11000, true, false, "floor met, goal not: 11000 deliveries/s", "0.55 of the bare client"},
		{"below", []float64{3000, 2500, 3500}, nil, 3000, false, false, "below the floor: 3000 deliveries/s, 30% of the floor of 10000/s (goal 15000/s)", "0.15 of the bare client"},
		{"duplicates", []float64{3000}, func(rd *DeliveryRound) { rd.Hookline.Duplicates = 4 }, 3000, false, false, "below the floor", "order per key held, 4 duplicates"},
		{"order broken", []float64{20000}, func(rd *DeliveryRound) { rd.Hookline.OutOfOrder, rd.Hookline.Gaps = 2, 1 }, 20000, false, false,
			"ORDER BROKEN: 2 out of order and 1 gaps; 20000 deliveries/s", "20000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bare := make([]float64, len(tc.hookline))
			for i := range bare {
				bare[i] = 20000
			}
			r := deliveryReportOf(tc.hookline, bare, tc.change)
			res := r.Results
			if d := res.Hookline.PerSecond.Median - tc.wantMedian; d > 0.01 || d < -0.01 {
				t.Fatalf("median %v, want %v", res.Hookline.PerSecond.Median, tc.wantMedian)
			}
			if res.FloorMet != tc.floor || res.GoalMet != tc.goal || !strings.HasPrefix(res.Verdict, tc.wantVerdict) || !strings.Contains(res.Verdict, tc.wantInVerdict) {
				t.Fatalf("floor %v goal %v verdict %q", res.FloorMet, res.GoalMet, res.Verdict)
			}
			if d := res.Hookline.CPUMicros.Median - 200; d > 1e-6 || d < -1e-6 {
				t.Fatalf("CPU %v µs per delivery, want 200", res.Hookline.CPUMicros.Median)
			}
		})
	}
}

func TestDeliveryReportOutput(t *testing.T) {
	r := deliveryReportOf([]float64{3000, 4000}, []float64{12000, 10000}, func(rd *DeliveryRound) {
		rd.Hookline.AcceptedPerSecond = 2500
		if rd.Round == 2 {
			rd.First = bareClientName
			rd.Hookline.OutOfOrder = 1
			rd.Hookline.Problems = []string{"key k1: 3 after 4"}
		}
	})
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"scenario delivery-drain", "1 serve process(es) on SQLite; 64 workers, 128 per target", "backlog: 1000 deliveries over 100 ordering keys",
		"30/31/32", "round 2 hookline: key k1: 3 after 4", "per round 0.250 0.400; median 0.325 (0.250–0.400)",
		"2500 (2500–2500)", "verdict: ORDER BROKEN: 1 out of order",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	// Round 2 went bare client first: its line comes first.
	lines := strings.Split(table.String(), "\n")
	var order []string
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) > 2 && f[0] == "2" {
			order = append(order, f[1])
		}
	}
	if strings.Join(order, " ") != "bare-client hookline" {
		t.Errorf("round 2's lines: %v", order)
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Backlog int
		Rounds  []struct {
			Hookline struct {
				PerSecond float64 `json:"deliveries_per_second"`
				RSS       []RSS   `json:"rss"`
			}
			Ratio float64
		}
		Results struct {
			OutOfOrder int `json:"out_of_order"`
			Verdict    string
		}
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Backlog != 1000 || len(back.Rounds) != 2 || back.Rounds[1].Ratio != 0.4 || back.Rounds[0].Hookline.RSS[0].EndMB != 32 ||
		back.Results.OutOfOrder != 1 || !strings.HasPrefix(back.Results.Verdict, "ORDER BROKEN") {
		t.Fatalf("JSON read back: %+v", back)
	}
}

// TestProviderReport: provider messages against delivery-publish, counted
// in messages, with no goal; unsigned events fail the verdict.
func TestProviderReport(t *testing.T) {
	cfg := Config{Scenario: providerSMSScenario(), Backlog: 1000, Keys: 100, Nodes: 1, Workers: 64, PerTarget: 128, Connections: 32}
	build := func(change func(*DeliveryRound)) *DeliveryReport {
		r := newDeliveryReport(cfg, "SQLite")
		rd := DeliveryRound{Round: 1, First: publishName, Hookline: side(1000), Baseline: side(2500)}
		rd.Hookline.Ends = 10
		if change != nil {
			change(&rd)
		}
		r.addRound(rd)
		r.summarize()
		return r
	}
	r := build(nil)
	if r.Results.Verdict != "below the floor: 1000 messages/s, 20% of the floor of 5000/s, 0.40 of delivery-publish; order per key held, 0 duplicates; 10 END events, each after its chat's MESSAGE events" || r.Results.GoalMet {
		t.Fatalf("verdict %q", r.Results.Verdict)
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"backlog: 1000 SMS from 100 contacts per round (the chats of every 10th contact ended after it)",
		"messages/s", "CPU µs/message", "delivery-publish", "hookline / delivery-publish: per round 0.400"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	if met := build(func(rd *DeliveryRound) { rd.Hookline = side(6000) }).Results; !met.FloorMet || met.GoalMet || !strings.HasPrefix(met.Verdict, "floor met: 6000 messages/s") {
		t.Fatalf("floor met: %+v", met)
	}
	if bad := build(func(rd *DeliveryRound) { rd.Hookline = side(6000); rd.Hookline.Unsigned = 2 }).Results; bad.FloorMet || !strings.HasPrefix(bad.Verdict, "UNSIGNED: 2 events") {
		t.Fatalf("unsigned: %+v", bad)
	}
}
