package load

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of a run, printed as a table and written as JSON.
type Report struct {
	Scenario string `json:"scenario"`
	Summary  string `json:"summary"`
	Baseline string `json:"baseline"`
	Server   string `json:"server"`
	Machine  string `json:"machine"`
	// LoadAverage is the machine's one-minute load average before and
	// after the run, from /proc/loadavg: on a shared machine it tells how
	// much else was running.
	LoadAverage     [2]float64 `json:"load_average"`
	Started         time.Time  `json:"started"`
	Connections     int        `json:"connections"`
	DurationSeconds float64    `json:"duration_seconds"`
	WarmupSeconds   float64    `json:"warmup_seconds"`
	// Floor and Goal are hookline's throughput over the baseline's that
	// the scenario must reach and aims at.
	Floor float64 `json:"floor"`
	Goal  float64 `json:"goal"`
	// FloorPerSecond is the throughput hookline must reach, when the
	// scenario's floor is a rate.
	FloorPerSecond float64 `json:"floor_per_second,omitempty"`
	// Sessions is the number of users the requests took turns between;
	// StoredSessions the open sessions stored before the load, which took
	// FillSeconds.
	Sessions       int      `json:"sessions,omitempty"`
	StoredSessions int      `json:"stored_sessions,omitempty"`
	FillSeconds    float64  `json:"fill_seconds,omitempty"`
	Rounds         []Round  `json:"rounds"`
	Results        *Results `json:"results"`
	// Paced holds the open-loop rounds, when asked for.
	Paced *PacedReport `json:"paced,omitempty"`
}

// PacedReport is the open-loop part of a run: both targets driven at the
// same fixed rate, a share of hookline's median throughput in the
// closed-loop rounds, with latency counted from each request's due time.
type PacedReport struct {
	Share  float64 `json:"share_of_peak"`
	Rate   float64 `json:"requests_per_second"`
	Rounds []Round `json:"rounds"`
	// Hookline and Baseline are the medians and spreads across rounds.
	Hookline Stats `json:"hookline"`
	Baseline Stats `json:"baseline"`
	// FailedRounds counts rounds in which either side had failures, the
	// requests the schedule could not send in time included.
	FailedRounds int `json:"failed_rounds"`
}

func (p *PacedReport) addRound(first string, hookline, baseline Measurement) {
	p.Rounds = append(p.Rounds, Round{Round: len(p.Rounds) + 1, First: first, Hookline: hookline, Baseline: baseline,
		Ratio: quotient(hookline.Throughput, baseline.Throughput)})
}

func (p *PacedReport) summarize() {
	p.Hookline = statsOf(p.Rounds, func(rd Round) Measurement { return rd.Hookline })
	p.Baseline = statsOf(p.Rounds, func(rd Round) Measurement { return rd.Baseline })
	p.FailedRounds = 0
	for _, rd := range p.Rounds {
		if rd.Hookline.Failed > 0 || rd.Baseline.Failed > 0 {
			p.FailedRounds++
		}
	}
}

// Round is one round: hookline and the baseline measured one after the
// other, in the order given by First.
type Round struct {
	Round    int         `json:"round"`
	First    string      `json:"first"`
	Hookline Measurement `json:"hookline"`
	Baseline Measurement `json:"baseline"`
	// Ratio is hookline's throughput over the baseline's.
	Ratio float64 `json:"ratio"`
}

// Measurement is one target's figures in one round.
type Measurement struct {
	Requests   uint64  `json:"requests"`
	Failed     uint64  `json:"failed"`
	Errors     uint64  `json:"errors"`
	Non2xx     uint64  `json:"non_2xx"`
	Unexpected uint64  `json:"unexpected"`
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	Throughput float64 `json:"requests_per_second"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	// Scheduled is the number of requests a paced measurement was to
	// send; 0 for a closed-loop one.
	Scheduled uint64 `json:"scheduled,omitempty"`
	// ServerCPUMicros is the server's CPU time (user and system, all
	// threads) per request; nil when the server's pid is unknown.
	ServerCPUMicros *float64 `json:"server_cpu_us_per_request,omitempty"`
	// ClientCPUMicros is the load generator's own CPU per request: on a
	// small machine it competes with the server for the same cores.
	ClientCPUMicros float64 `json:"client_cpu_us_per_request"`
}

// Results are the medians and spreads across rounds.
type Results struct {
	Hookline Stats `json:"hookline"`
	Baseline Stats `json:"baseline"`
	// Ratio is hookline's throughput over the baseline's, round by round:
	// the verdict reads its median.
	Ratio Spread `json:"ratio"`
	// RatioOfMedians is the median throughputs' ratio.
	RatioOfMedians float64 `json:"ratio_of_medians"`
	// CPURatio is hookline's median server CPU per request over the
	// baseline's; nil when not measured.
	CPURatio *float64 `json:"server_cpu_ratio,omitempty"`
	// FailedRounds counts rounds in which either side had failures.
	FailedRounds int    `json:"failed_rounds"`
	Verdict      string `json:"verdict"`
	FloorMet     bool   `json:"floor_met"`
	GoalMet      bool   `json:"goal_met"`
}

// Stats are one target's figures across rounds.
type Stats struct {
	Throughput      Spread  `json:"requests_per_second"`
	P50Ms           Spread  `json:"p50_ms"`
	P99Ms           Spread  `json:"p99_ms"`
	ServerCPUMicros *Spread `json:"server_cpu_us_per_request,omitempty"`
	ClientCPUMicros Spread  `json:"client_cpu_us_per_request"`
}

// Spread is the median, minimum and maximum of a figure across rounds.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// spreadOf summarizes values; an even count has the mean of the two
// middle values as its median. No values give zeros, which JSON can hold.
func spreadOf(values []float64) Spread {
	if len(values) == 0 {
		return Spread{}
	}
	v := slices.Clone(values)
	slices.Sort(v)
	n := len(v)
	median := v[n/2]
	if n%2 == 0 {
		median = (v[n/2-1] + v[n/2]) / 2
	}
	return Spread{Median: median, Min: v[0], Max: v[n-1]}
}

func newMeasurement(s *Sample, clientCPU time.Duration) Measurement {
	m := Measurement{
		Requests:   s.Requests,
		Failed:     s.Failed(),
		Errors:     s.Errors,
		Non2xx:     s.Non2xx,
		Unexpected: s.Unexpected,
		FirstError: s.FirstError,
		Seconds:    s.Elapsed.Seconds(),
		Throughput: s.Throughput(),
		P50Ms:      millis(s.Latency.Quantile(0.50)),
		P99Ms:      millis(s.Latency.Quantile(0.99)),
		MaxMs:      millis(s.Latency.Max()),
		Scheduled:  s.Scheduled,
	}
	if s.Requests > 0 {
		m.ClientCPUMicros = micros(clientCPU) / float64(s.Requests)
	}
	return m
}

func (m *Measurement) setServerCPU(cpu time.Duration) {
	if m.Requests == 0 {
		return
	}
	perRequest := micros(cpu) / float64(m.Requests)
	m.ServerCPUMicros = &perRequest
}

// failureNote says how many requests failed and the first cause.
func (m *Measurement) failureNote() string {
	if m.Failed == 0 {
		return ""
	}
	return fmt.Sprintf("FAILED %d of %d (%d errors, %d non-2xx, %d unexpected): %s",
		m.Failed, m.Requests, m.Errors, m.Non2xx, m.Unexpected, m.FirstError)
}

// quotient is a/b, or 0 when b is 0, so that the JSON report never holds
// an infinity or NaN, which encoding/json refuses.
func quotient(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func newReport(cfg Config, server string) *Report {
	return &Report{
		Scenario:        cfg.Scenario.Name,
		Summary:         cfg.Scenario.Summary,
		Baseline:        string(cfg.Scenario.Baseline),
		Server:          server,
		Machine:         machine(),
		LoadAverage:     [2]float64{loadAverage(), 0},
		Started:         time.Now().UTC().Truncate(time.Second),
		Connections:     cfg.Connections,
		DurationSeconds: cfg.Duration.Seconds(),
		WarmupSeconds:   cfg.Warmup.Seconds(),
		Floor:           cfg.Scenario.Floor,
		Goal:            cfg.Scenario.Goal,
		FloorPerSecond:  cfg.Scenario.FloorPerSecond,
	}
}

func (r *Report) addRound(first string, hookline, baseline Measurement) {
	r.Rounds = append(r.Rounds, Round{Round: len(r.Rounds) + 1, First: first, Hookline: hookline, Baseline: baseline,
		Ratio: quotient(hookline.Throughput, baseline.Throughput)})
}

// summarize computes the medians, spreads and the verdict.
func (r *Report) summarize() {
	r.LoadAverage[1] = loadAverage()
	res := &Results{}
	var ratios []float64
	for _, rd := range r.Rounds {
		ratios = append(ratios, rd.Ratio)
		if rd.Hookline.Failed > 0 || rd.Baseline.Failed > 0 {
			res.FailedRounds++
		}
	}
	res.Hookline = statsOf(r.Rounds, func(rd Round) Measurement { return rd.Hookline })
	res.Baseline = statsOf(r.Rounds, func(rd Round) Measurement { return rd.Baseline })
	res.Ratio = spreadOf(ratios)
	res.RatioOfMedians = quotient(res.Hookline.Throughput.Median, res.Baseline.Throughput.Median)
	if res.Hookline.ServerCPUMicros != nil && res.Baseline.ServerCPUMicros != nil {
		cpu := quotient(res.Hookline.ServerCPUMicros.Median, res.Baseline.ServerCPUMicros.Median)
		res.CPURatio = &cpu
	}
	res.GoalMet = res.Ratio.Median >= r.Goal
	var measured, floor string
	if r.FloorPerSecond > 0 {
		// The floor is a rate, the goal a share.
		res.FloorMet = res.Hookline.Throughput.Median >= r.FloorPerSecond
		measured = fmt.Sprintf("%.0f/s, %.0f%% of the %s", res.Hookline.Throughput.Median, 100*res.Ratio.Median, r.Baseline)
		floor = fmt.Sprintf("floor %.0f/s", r.FloorPerSecond)
	} else {
		res.FloorMet = res.Ratio.Median >= r.Floor
		measured = fmt.Sprintf("%.0f%% of the %s", 100*res.Ratio.Median, r.Baseline)
		floor = fmt.Sprintf("floor %.0f%%", 100*r.Floor)
	}
	targets := fmt.Sprintf("(goal %.0f%%, %s)", 100*r.Goal, floor)
	switch {
	case res.GoalMet && res.FloorMet:
		res.Verdict = fmt.Sprintf("goal met: %s %s", measured, targets)
	case res.FloorMet:
		res.Verdict = fmt.Sprintf("floor met, goal not: %s %s", measured, targets)
	case res.GoalMet:
		res.Verdict = fmt.Sprintf("goal met, floor not: %s %s", measured, targets)
	default:
		res.Verdict = fmt.Sprintf("below the floor: %s %s", measured, targets)
	}
	if res.FailedRounds > 0 {
		res.Verdict += fmt.Sprintf("; %d of %d rounds had failed requests, see the table", res.FailedRounds, len(r.Rounds))
	}
	r.Results = res
}

func statsOf(rounds []Round, pick func(Round) Measurement) Stats {
	var throughput, p50, p99, client, server []float64
	for _, rd := range rounds {
		m := pick(rd)
		throughput = append(throughput, m.Throughput)
		p50 = append(p50, m.P50Ms)
		p99 = append(p99, m.P99Ms)
		client = append(client, m.ClientCPUMicros)
		if m.ServerCPUMicros != nil {
			server = append(server, *m.ServerCPUMicros)
		}
	}
	st := Stats{Throughput: spreadOf(throughput), P50Ms: spreadOf(p50), P99Ms: spreadOf(p99), ClientCPUMicros: spreadOf(client)}
	if len(server) == len(rounds) && len(server) > 0 {
		s := spreadOf(server)
		st.ServerCPUMicros = &s
	}
	return st
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report for people: a line per target and round,
// then medians with their spread, the ratios and the verdict.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s: %s\n", r.Scenario, r.Summary)
	fmt.Fprintf(&b, "server: %s\nmachine: %s, load average %.2f before and %.2f after\n%d connections; %d rounds of %gs (after %gs of warm-up) per target\n",
		r.Server, r.Machine, r.LoadAverage[0], r.LoadAverage[1], r.Connections, len(r.Rounds), r.DurationSeconds, r.WarmupSeconds)
	if r.Sessions > 0 {
		fmt.Fprintf(&b, "%d users taking turns", r.Sessions)
		if r.StoredSessions > 0 {
			fmt.Fprintf(&b, "; %d open sessions stored before the load (in %.1f s)", r.StoredSessions, r.FillSeconds)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\ttarget\treq/s\tp50 ms\tp99 ms\tmax ms\tserver CPU µs/req\tclient CPU µs/req\tfailed\t")
	for _, rd := range r.Rounds {
		sides := []struct {
			name string
			m    Measurement
		}{{"hookline", rd.Hookline}, {r.Baseline, rd.Baseline}}
		if rd.First != "hookline" {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			m := side.m
			fmt.Fprintf(tw, "%d\t%s\t%.0f\t%.2f\t%.2f\t%.1f\t%s\t%.1f\t%d\t\n",
				rd.Round, side.name, m.Throughput, m.P50Ms, m.P99Ms, m.MaxMs, optional(m.ServerCPUMicros, "%.1f"), m.ClientCPUMicros, m.Failed)
		}
	}
	tw.Flush()
	for _, rd := range r.Rounds {
		for _, side := range []struct {
			name string
			m    Measurement
		}{{"hookline", rd.Hookline}, {r.Baseline, rd.Baseline}} {
			if note := side.m.failureNote(); note != "" {
				fmt.Fprintf(&b, "round %d %s: %s\n", rd.Round, side.name, note)
			}
		}
	}
	res := r.Results
	fmt.Fprintf(&b, "\nmedians across rounds (min–max):\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\treq/s\tp50 ms\tp99 ms\tserver CPU µs/req\tclient CPU µs/req")
	for _, side := range []struct {
		name string
		st   Stats
	}{{"hookline", res.Hookline}, {r.Baseline, res.Baseline}} {
		st := side.st
		server := "n/a"
		if st.ServerCPUMicros != nil {
			server = spreadText(*st.ServerCPUMicros, "%.1f")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", side.name, spreadText(st.Throughput, "%.0f"),
			spreadText(st.P50Ms, "%.2f"), spreadText(st.P99Ms, "%.2f"), server, spreadText(st.ClientCPUMicros, "%.1f"))
	}
	tw.Flush()
	ratios := make([]string, len(r.Rounds))
	for i, rd := range r.Rounds {
		ratios[i] = fmt.Sprintf("%.3f", rd.Ratio)
	}
	fmt.Fprintf(&b, "\nhookline / %s throughput: per round %s; median %.3f (%.3f–%.3f); ratio of medians %.3f\n",
		r.Baseline, strings.Join(ratios, " "), res.Ratio.Median, res.Ratio.Min, res.Ratio.Max, res.RatioOfMedians)
	if res.CPURatio != nil {
		fmt.Fprintf(&b, "hookline / %s server CPU per request: %.2f×\n", r.Baseline, *res.CPURatio)
	}
	fmt.Fprintf(&b, "verdict: %s\n", res.Verdict)
	if p := r.Paced; p != nil {
		p.writeTable(&b, r.Baseline)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable writes the paced rounds: a line per target and round, then
// the medians.
func (p *PacedReport) writeTable(b *strings.Builder, baseline string) {
	fmt.Fprintf(b, "\npaced rounds: both targets at %.0f req/s (%.0f%% of hookline's median throughput), open loop, latency from each request's due time\n\n",
		p.Rate, 100*p.Share)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\ttarget\treq/s\tp50 ms\tp99 ms\tmax ms\tserver CPU µs/req\tfailed\t")
	for _, rd := range p.Rounds {
		sides := []struct {
			name string
			m    Measurement
		}{{"hookline", rd.Hookline}, {baseline, rd.Baseline}}
		if rd.First != "hookline" {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			m := side.m
			fmt.Fprintf(tw, "%d\t%s\t%.0f\t%.2f\t%.2f\t%.1f\t%s\t%d\t\n",
				rd.Round, side.name, m.Throughput, m.P50Ms, m.P99Ms, m.MaxMs, optional(m.ServerCPUMicros, "%.1f"), m.Failed)
		}
	}
	tw.Flush()
	for _, rd := range p.Rounds {
		for _, side := range []struct {
			name string
			m    Measurement
		}{{"hookline", rd.Hookline}, {baseline, rd.Baseline}} {
			if note := side.m.failureNote(); note != "" {
				fmt.Fprintf(b, "paced round %d %s: %s\n", rd.Round, side.name, note)
			}
		}
	}
	fmt.Fprintf(b, "\npaced medians (min–max): hookline p50 %s ms, p99 %s ms; %s p50 %s ms, p99 %s ms\n",
		spreadText(p.Hookline.P50Ms, "%.2f"), spreadText(p.Hookline.P99Ms, "%.2f"), baseline,
		spreadText(p.Baseline.P50Ms, "%.2f"), spreadText(p.Baseline.P99Ms, "%.2f"))
	if p.FailedRounds > 0 {
		fmt.Fprintf(b, "%d of %d paced rounds had failed or unsent requests, see above\n", p.FailedRounds, len(p.Rounds))
	}
}

func optional(v *float64, format string) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *v)
}

func spreadText(s Spread, format string) string {
	return fmt.Sprintf(format+" ("+format+"–"+format+")", s.Median, s.Min, s.Max)
}

// loadAverage reads the one-minute load average; 0 when /proc has none.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), " ")
	v, err := strconv.ParseFloat(first, 64)
	if err != nil {
		return 0
	}
	return v
}
