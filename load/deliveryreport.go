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
	Connections    int             `json:"connections"`
	FloorPerSecond float64         `json:"floor_per_second"`
	GoalPerSecond  float64         `json:"goal_per_second"`
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
	if s.OutOfOrder+s.Gaps > 0 {
		notes = append(notes, fmt.Sprintf("ORDER BROKEN: %d out of order, %d gaps: %s", s.OutOfOrder, s.Gaps, strings.Join(s.Problems, "; ")))
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
	// OutOfOrder, Gaps and Duplicates are hookline's, over every round.
	OutOfOrder int    `json:"out_of_order"`
	Gaps       int    `json:"gaps"`
	Duplicates int    `json:"duplicates"`
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
	return &DeliveryReport{
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
	}
	res.Ratio = spreadOf(ratios)
	res.RatioOfMedians = quotient(res.Hookline.PerSecond.Median, res.Baseline.PerSecond.Median)
	rate := res.Hookline.PerSecond.Median
	ordered := res.OutOfOrder+res.Gaps == 0
	res.FloorMet = ordered && rate >= r.FloorPerSecond
	res.GoalMet = ordered && rate >= r.GoalPerSecond
	figures := fmt.Sprintf("%.0f deliveries/s, %.0f%% of the floor of %.0f/s (goal %.0f/s), %.2f of the bare client",
		rate, 100*quotient(rate, r.FloorPerSecond), r.FloorPerSecond, r.GoalPerSecond, res.Ratio.Median)
	switch {
	case !ordered:
		res.Verdict = fmt.Sprintf("ORDER BROKEN: %d out of order and %d gaps; %s", res.OutOfOrder, res.Gaps, figures)
	case res.GoalMet:
		res.Verdict = "goal met: " + figures
	case res.FloorMet:
		res.Verdict = "floor met, goal not: " + figures
	default:
		res.Verdict = "below the floor: " + figures
	}
	if ordered {
		res.Verdict += fmt.Sprintf("; order per key held, %d duplicates", res.Duplicates)
	}
	r.Results = res
}

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
	fmt.Fprintf(&b, "backlog: %d deliveries over %d ordering keys per round; bare client: %d goroutines, keep-alive\n", r.Backlog, r.Keys, r.Workers)
	fmt.Fprintf(&b, "machine: %s, load average %.2f before and %.2f after; %s\n\n", r.Machine, r.LoadAverage[0], r.LoadAverage[1], r.Started.Format(time.RFC3339))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\tside\tdeliveries/s\tseconds\tqueued/s\tCPU µs/delivery\treceiver CPU µs/delivery\tduplicates\tout of order\tgaps\tRSS MB start/middle/end\t")
	for _, rd := range r.Rounds {
		sides := []struct {
			name string
			s    DeliverySide
		}{{"hookline", rd.Hookline}, {bareClientName, rd.Baseline}}
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
	fmt.Fprintln(tw, "side\tdeliveries/s\tqueued/s\tCPU µs/delivery\treceiver CPU µs/delivery")
	for _, side := range []struct {
		name string
		st   DeliveryStats
	}{{"hookline", res.Hookline}, {bareClientName, res.Baseline}} {
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
	fmt.Fprintf(&b, "\nhookline / bare client: per round %s; median %.3f (%.3f–%.3f); ratio of medians %.3f\n",
		strings.Join(ratios, " "), res.Ratio.Median, res.Ratio.Min, res.Ratio.Max, res.RatioOfMedians)
	fmt.Fprintf(&b, "verdict: %s\n", res.Verdict)
	_, err := io.WriteString(w, b.String())
	return err
}
