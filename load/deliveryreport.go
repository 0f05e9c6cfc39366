package load

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// DeliveryReport is the outcome of a delivery scenario's run.
type DeliveryReport struct {
	Scenario string `json:"scenario"`
	Summary  string `json:"summary"`
	Store    string `json:"store"`
	Machine  string `json:"machine"`
	// LoadAverage is the one-minute load average before and after.
	LoadAverage [2]float64 `json:"load_average"`
	Started     time.Time  `json:"started"`
	Backlog     int        `json:"backlog"`
	Keys        int        `json:"keys"`
	Nodes       int        `json:"nodes"`
	Workers     int        `json:"workers"`
	PerTarget   int        `json:"per_target"`
	// Connections queue the backlog through the API.
	Connections int `json:"connections"`
	// Baseline names the other side: the bare client, or for provider
	// messages the queue's publish-and-deliver figure; Unit is what is
	// counted, deliveries or messages.
	Baseline       string          `json:"baseline"`
	Unit           string          `json:"unit"`
	FloorPerSecond float64         `json:"floor_per_second"`
	GoalPerSecond  float64         `json:"goal_per_second,omitempty"`
	Rounds         []DeliveryRound `json:"rounds"`
	Results        *DeliveryResult `json:"results"`
}

// DeliveryRound is one round: hookline and the bare client measured one
// after the other, First first.
type DeliveryRound struct {
	Round    int          `json:"round"`
	First    string       `json:"first"`
	Hookline DeliverySide `json:"hookline"`
	Baseline DeliverySide `json:"baseline"`
	// Ratio is hookline's deliveries per second over the bare client's.
	Ratio float64 `json:"ratio"`
}

// DeliverySide is one side's figures in one round.
type DeliverySide struct {
	Deliveries int `json:"deliveries"`
	// Seconds runs from the clock's start (the workers' start signal for
	// a drain, the first enqueue for publish, the first post for the bare
	// client) to the receiver's last new delivery.
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"deliveries_per_second"`
	// QueuedSeconds and AcceptedPerSecond time the queuing through the
	// API: before the clock with the workers held (drain), or while they
	// send (publish). Zero for the bare client.
	QueuedSeconds     float64  `json:"queued_seconds,omitempty"`
	AcceptedPerSecond float64  `json:"accepted_per_second,omitempty"`
	Duplicates        int      `json:"duplicates"`
	OutOfOrder        int      `json:"out_of_order"`
	Gaps              int      `json:"gaps"`
	Problems          []string `json:"problems,omitempty"`
	// Ends counts the END events of ended chats (provider messages only);
	// Unsigned the events whose signature did not verify.
	Ends     int `json:"ends,omitempty"`
	Unsigned int `json:"unsigned,omitempty"`
	// CPUMicros is the CPU time (user and system) per delivery while the
	// clock ran: of every serve process for hookline, of the whole bare
	// client process for the baseline.
	CPUMicros float64 `json:"cpu_us_per_delivery"`
	// ReceiverCPUMicros is the receiver's, for comparison.
	ReceiverCPUMicros float64 `json:"receiver_cpu_us_per_delivery"`
	// RSS is each serve process's resident set when the clock started,
	// when half the deliveries had arrived, and at the end.
	RSS []RSS `json:"rss,omitempty"`
}

// RSS is a process's resident set at three moments, in MiB.
type RSS struct {
	StartMB  float64 `json:"start_mb"`
	MiddleMB float64 `json:"middle_mb"`
	EndMB    float64 `json:"end_mb"`
}

func newDeliverySide(st SinkStatus, elapsed, cpu, sinkCPU time.Duration) DeliverySide {
	n := float64(st.Received)
	return DeliverySide{
		Deliveries: st.Received, Seconds: elapsed.Seconds(), PerSecond: quotient(n, elapsed.Seconds()),
		Duplicates: st.Duplicates, OutOfOrder: st.OutOfOrder, Gaps: st.Gaps, Problems: st.Problems,
		CPUMicros: quotient(micros(cpu), n), ReceiverCPUMicros: quotient(micros(sinkCPU), n),
		Ends: st.Ends, Unsigned: st.Unsigned,
	}
}

// notes lists what is worth a word besides the rate.
func (s DeliverySide) notes() string {
	var notes []string
	if s.AcceptedPerSecond > 0 {
		notes = append(notes, fmt.Sprintf("queued at %.0f/s", s.AcceptedPerSecond))
	}
	for _, r := range s.RSS {
		notes = append(notes, fmt.Sprintf("RSS %.0f/%.0f/%.0f MB", r.StartMB, r.MiddleMB, r.EndMB))
	}
	if s.Duplicates > 0 {
		notes = append(notes, fmt.Sprintf("%d duplicates", s.Duplicates))
	}
	if s.Ends > 0 {
		notes = append(notes, fmt.Sprintf("%d END after their chats' messages", s.Ends))
	}
	if s.OutOfOrder+s.Gaps > 0 {
		notes = append(notes, fmt.Sprintf("ORDER BROKEN: %d out of order, %d gaps: %s", s.OutOfOrder, s.Gaps, strings.Join(s.Problems, "; ")))
	}
	if s.Unsigned > 0 {
		notes = append(notes, fmt.Sprintf("UNSIGNED: %d events", s.Unsigned))
	}
	if len(notes) == 0 {
		return ""
	}
	return "  " + strings.Join(notes, ", ")
}

// DeliveryResult holds the medians and spreads across rounds.
type DeliveryResult struct {
	Hookline DeliveryStats `json:"hookline"`
	Baseline DeliveryStats `json:"baseline"`
	// Ratio is hookline's rate over the bare client's, round by round.
	Ratio          Spread  `json:"ratio"`
	RatioOfMedians float64 `json:"ratio_of_medians"`
	// OutOfOrder, Gaps, Duplicates and Unsigned are hookline's, over
	// every round.
	OutOfOrder int    `json:"out_of_order"`
	Gaps       int    `json:"gaps"`
	Duplicates int    `json:"duplicates"`
	Unsigned   int    `json:"unsigned,omitempty"`
	FloorMet   bool   `json:"floor_met"`
	GoalMet    bool   `json:"goal_met"`
	Verdict    string `json:"verdict"`
}

// DeliveryStats are one side's figures across rounds.
type DeliveryStats struct {
	PerSecond         Spread  `json:"deliveries_per_second"`
	AcceptedPerSecond *Spread `json:"accepted_per_second,omitempty"`
	CPUMicros         Spread  `json:"cpu_us_per_delivery"`
	ReceiverCPUMicros Spread  `json:"receiver_cpu_us_per_delivery"`
}

func newDeliveryReport(cfg Config, store string) *DeliveryReport {
	baseline, unit := "bare client", "deliveries"
	if cfg.Scenario.Deliveries.Provider {
		baseline, unit = publishName, "messages"
	}
	return &DeliveryReport{
		Baseline: baseline, Unit: unit,
		Scenario: cfg.Scenario.Name, Summary: cfg.Scenario.Summary, Store: store, Machine: machine(),
		LoadAverage: [2]float64{loadAverage(), 0}, Started: time.Now().UTC().Truncate(time.Second),
		Backlog: cfg.Backlog, Keys: cfg.Keys, Nodes: cfg.Nodes, Workers: cfg.Workers, PerTarget: cfg.PerTarget,
		Connections:    cfg.Connections,
		FloorPerSecond: cfg.Scenario.Deliveries.FloorPerSecond, GoalPerSecond: cfg.Scenario.Deliveries.GoalPerSecond,
	}
}

func (r *DeliveryReport) addRound(rd DeliveryRound) {
	rd.Ratio = quotient(rd.Hookline.PerSecond, rd.Baseline.PerSecond)
	r.Rounds = append(r.Rounds, rd)
}

func deliveryStatsOf(rounds []DeliveryRound, pick func(DeliveryRound) DeliverySide) DeliveryStats {
	var rate, accepted, cpu, recv []float64
	for _, rd := range rounds {
		s := pick(rd)
		rate = append(rate, s.PerSecond)
		cpu = append(cpu, s.CPUMicros)
		recv = append(recv, s.ReceiverCPUMicros)
		if s.AcceptedPerSecond > 0 {
			accepted = append(accepted, s.AcceptedPerSecond)
		}
	}
	st := DeliveryStats{PerSecond: spreadOf(rate), CPUMicros: spreadOf(cpu), ReceiverCPUMicros: spreadOf(recv)}
	if len(accepted) == len(rounds) && len(rounds) > 0 {
		a := spreadOf(accepted)
		st.AcceptedPerSecond = &a
	}
	return st
}

// summarize computes the medians, spreads and the verdict: hookline's
// median rate against the floor and goal, and any break of order.
func (r *DeliveryReport) summarize() {
	r.LoadAverage[1] = loadAverage()
	res := &DeliveryResult{
		Hookline: deliveryStatsOf(r.Rounds, func(rd DeliveryRound) DeliverySide { return rd.Hookline }),
		Baseline: deliveryStatsOf(r.Rounds, func(rd DeliveryRound) DeliverySide { return rd.Baseline }),
	}
	var ratios []float64
	for _, rd := range r.Rounds {
		ratios = append(ratios, rd.Ratio)
		res.OutOfOrder += rd.Hookline.OutOfOrder
		res.Gaps += rd.Hookline.Gaps
		res.Duplicates += rd.Hookline.Duplicates
		res.Unsigned += rd.Hookline.Unsigned
	}
	res.Ratio = spreadOf(ratios)
	res.RatioOfMedians = quotient(res.Hookline.PerSecond.Median, res.Baseline.PerSecond.Median)
	rate := res.Hookline.PerSecond.Median
	ordered := res.OutOfOrder+res.Gaps == 0
	signed := res.Unsigned == 0
	res.FloorMet = ordered && signed && rate >= r.FloorPerSecond
	res.GoalMet = ordered && signed && r.GoalPerSecond > 0 && rate >= r.GoalPerSecond
	goal := ""
	if r.GoalPerSecond > 0 {
		goal = fmt.Sprintf(" (goal %.0f/s)", r.GoalPerSecond)
	}
	of := r.baseline()
	if of == "bare client" {
		of = "the bare client"
	}
	figures := fmt.Sprintf("%.0f %s/s, %.0f%% of the floor of %.0f/s%s, %.2f of %s",
		rate, r.unit(), 100*quotient(rate, r.FloorPerSecond), r.FloorPerSecond, goal, res.Ratio.Median, of)
	switch {
	case !ordered:
		res.Verdict = fmt.Sprintf("ORDER BROKEN: %d out of order and %d gaps; %s", res.OutOfOrder, res.Gaps, figures)
	case !signed:
		res.Verdict = fmt.Sprintf("UNSIGNED: %d events did not verify; %s", res.Unsigned, figures)
	case res.GoalMet:
		res.Verdict = "goal met: " + figures
	case res.FloorMet && r.GoalPerSecond > 0:
		res.Verdict = "floor met, goal not: " + figures
	case res.FloorMet:
		res.Verdict = "floor met: " + figures
	default:
		res.Verdict = "below the floor: " + figures
	}
	if ordered {
		res.Verdict += fmt.Sprintf("; order per key held, %d duplicates", res.Duplicates)
		if r.unit() == "messages" {
			ends := 0
			for _, rd := range r.Rounds {
				ends += rd.Hookline.Ends
			}
			res.Verdict += fmt.Sprintf("; %d END events, each after its chat's MESSAGE events", ends)
		}
	}
	r.Results = res
}

// baseline is the other side's name; unit what is counted (reports read
// before these fields existed name neither).
func (r *DeliveryReport) baseline() string { return cmpOr(r.Baseline, "bare client") }
func (r *DeliveryReport) unit() string     { return cmpOr(r.Unit, "deliveries") }

// WriteJSON writes the report as indented JSON.
func (r *DeliveryReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report for people.
func (r *DeliveryReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s: %s\n", r.Scenario, r.Summary)
	fmt.Fprintf(&b, "hookline: %d serve process(es) on %s; %d workers, %d per target; the API queued from %d connections\n",
		r.Nodes, r.Store, r.Workers, r.PerTarget, r.Connections)
	if r.baseline() == publishName {
		fmt.Fprintf(&b, "backlog: %d SMS from %d contacts per round (the chats of every %dth contact ended after it); %s: the same backlog queued through the API, in the same rounds\n",
			r.Backlog, r.Keys, endEvery, publishName)
	} else {
		fmt.Fprintf(&b, "backlog: %d deliveries over %d ordering keys per round; bare client: %d goroutines, keep-alive\n", r.Backlog, r.Keys, r.Workers)
	}
	side := bareClientName
	if r.baseline() == publishName {
		side = publishName
	}
	unit := strings.TrimSuffix(r.unit(), "s")
	fmt.Fprintf(&b, "machine: %s, load average %.2f before and %.2f after; %s\n\n", r.Machine, r.LoadAverage[0], r.LoadAverage[1], r.Started.Format(time.RFC3339))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "round\tside\t%s/s\tseconds\tqueued/s\tCPU µs/%s\treceiver CPU µs/%s\tduplicates\tout of order\tgaps\tRSS MB start/middle/end\t\n", r.unit(), unit, unit)
	for _, rd := range r.Rounds {
		sides := []struct {
			name string
			s    DeliverySide
		}{{"hookline", rd.Hookline}, {side, rd.Baseline}}
		if rd.First != "hookline" {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			s := side.s
			queued, rss := "", ""
			if s.AcceptedPerSecond > 0 {
				queued = fmt.Sprintf("%.0f", s.AcceptedPerSecond)
			}
			var parts []string
			for _, m := range s.RSS {
				parts = append(parts, fmt.Sprintf("%.0f/%.0f/%.0f", m.StartMB, m.MiddleMB, m.EndMB))
			}
			rss = strings.Join(parts, " ")
			fmt.Fprintf(tw, "%d\t%s\t%.0f\t%.2f\t%s\t%.1f\t%.1f\t%d\t%d\t%d\t%s\t\n", rd.Round, side.name, s.PerSecond, s.Seconds, queued,
				s.CPUMicros, s.ReceiverCPUMicros, s.Duplicates, s.OutOfOrder, s.Gaps, rss)
		}
	}
	tw.Flush()
	for _, rd := range r.Rounds {
		if len(rd.Hookline.Problems) > 0 {
			fmt.Fprintf(&b, "round %d hookline: %s\n", rd.Round, strings.Join(rd.Hookline.Problems, "; "))
		}
	}
	res := r.Results
	fmt.Fprintf(&b, "\nmedians across rounds (min–max):\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "side\t%s/s\tqueued/s\tCPU µs/%s\treceiver CPU µs/%s\n", r.unit(), unit, unit)
	for _, side := range []struct {
		name string
		st   DeliveryStats
	}{{"hookline", res.Hookline}, {side, res.Baseline}} {
		queued := ""
		if side.st.AcceptedPerSecond != nil {
			queued = spreadText(*side.st.AcceptedPerSecond, "%.0f")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", side.name, spreadText(side.st.PerSecond, "%.0f"), queued,
			spreadText(side.st.CPUMicros, "%.1f"), spreadText(side.st.ReceiverCPUMicros, "%.1f"))
	}
	tw.Flush()
	ratios := make([]string, len(r.Rounds))
	for i, rd := range r.Rounds {
		ratios[i] = fmt.Sprintf("%.3f", rd.Ratio)
	}
	fmt.Fprintf(&b, "\nhookline / %s: per round %s; median %.3f (%.3f–%.3f); ratio of medians %.3f\n",
		r.baseline(), strings.Join(ratios, " "), res.Ratio.Median, res.Ratio.Min, res.Ratio.Max, res.RatioOfMedians)
	fmt.Fprintf(&b, "verdict: %s\n", res.Verdict)
	_, err := io.WriteString(w, b.String())
	return err
}
