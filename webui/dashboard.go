package webui

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/hookline/hookline"
)

// dashboardSection is the dashboard: the success rate and the latency of
// the last 24 hours' delivery attempts, and a bot's messages and sessions
// per channel, as SVG charts drawn on the server from the services'
// hourly sums.
func (s *Server) dashboardSection() section {
	return section{label: "Dashboard", path: Prefix + "dashboard", routes: []route{
		{pattern: "GET " + Prefix + "dashboard", handle: s.dashboard},
	}}
}

// dashboardPage is the dashboard's data.
type dashboardPage struct {
	Filter    field
	Hours     []hookline.DeliveryHour
	Attempts  int
	Succeeded int
	Rate      float64
	AvgMS     float64
	MaxMS     float64
	Success   *chart
	Latency   *chart
	// Bot is the activity of one bot; nil when the caller has none.
	Bot *botActivity
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, q *request) error {
	webhookID, err := queryID(r, "webhook_id")
	if err != nil {
		return err
	}
	hours, err := s.deliveries.DeliveryHours(r.Context(), q.caller, hookline.DeliveryStatsInput{WebhookID: webhookID})
	if err != nil {
		return err
	}
	_, hooks, more, err := s.webhookChoices(r.Context(), q.caller)
	if err != nil {
		return err
	}
	v := dashboardPage{Hours: hours}
	v.Filter = field{Path: "webhook_id", Label: "Webhook", Type: "select", Options: []option{{Value: "", Label: "All webhooks"}}}
	if more {
		v.Filter = field{Path: "webhook_id", Label: "Webhook id", Type: "number", Value: idParam(webhookID)}
	}
	for _, wh := range hooks {
		v.Filter.Options = append(v.Filter.Options, option{Value: strconv.FormatInt(wh.ID, 10), Label: wh.Name, Selected: wh.ID == webhookID})
	}
	var totalMS float64
	for _, h := range hours {
		v.Attempts += h.Attempts
		v.Succeeded += h.Succeeded
		totalMS += h.AvgMS * float64(h.Attempts)
		v.MaxMS = math.Max(v.MaxMS, h.MaxMS)
	}
	if v.Attempts > 0 {
		v.Rate = float64(v.Succeeded) / float64(v.Attempts)
		v.AvgMS = totalMS / float64(v.Attempts)
	}
	v.Success = successChart(hours)
	v.Latency = latencyChart(hours)
	if v.Bot, err = s.botActivity(r.Context(), r, q.caller); err != nil {
		return err
	}
	return s.page(w, r, q, http.StatusOK, "dashboard", "Dashboard", v)
}

// chart is an SVG chart laid out in the viewBox's units; the template
// draws it as it is.
type chart struct {
	Width, Height float64
	// The plot area.
	Left, Top, Right, Bottom float64
	Grid                     []gridLine
	Labels                   []axisLabel
	Bars                     []bar
	Lines                    []string
	Points                   []point
	Empty                    []bar
}

type gridLine struct {
	Y     float64
	Label string
}

type axisLabel struct {
	X     float64
	Label string
}

type bar struct {
	X, Y, W, H float64
	// Class colours the bar (ok, warn, bad, max).
	Class string
	Title string
}

type point struct {
	X, Y  float64
	Title string
}

// The chart's viewBox. Value labels sit above their grid lines, inside
// the plot, so that the plot keeps the whole width; the room above and
// below is for labels, which the stylesheet enlarges on narrow screens
// where the chart is drawn at a third of its size.
const (
	chartW      = 720
	chartH      = 250
	chartLeft   = 4
	chartRight  = 4
	chartTop    = 34
	chartBottom = 42
)

func newChart(n int) *chart {
	return &chart{Width: chartW, Height: chartH, Left: chartLeft, Top: chartTop, Right: chartW - chartRight, Bottom: chartH - chartBottom}
}

// slot is the x position and width of hour i of n.
func (c *chart) slot(i, n int) (x, w float64) {
	w = (c.Right - c.Left) / float64(n)
	return c.Left + float64(i)*w, w
}

// hourLabels labels every sixth hour, away from the chart's edges, where
// a label would be cut.
func (c *chart) hourLabels(hours []hookline.DeliveryHour) {
	for i, h := range hours {
		if i%6 != 3 {
			continue
		}
		x, w := c.slot(i, len(hours))
		c.Labels = append(c.Labels, axisLabel{X: x + w/2, Label: h.Start.Format("15:04")})
	}
}

func hourTitle(h hookline.DeliveryHour) string {
	return h.Start.Format("Jan 2, 15:04") + " UTC"
}

// successChart draws each hour's share of successful attempts as a bar,
// coloured by how good it is; an hour without attempts is a grey tick.
func successChart(hours []hookline.DeliveryHour) *chart {
	c := newChart(len(hours))
	plotH := c.Bottom - c.Top
	for _, p := range []float64{0, 0.5, 1} {
		c.Grid = append(c.Grid, gridLine{Y: c.Bottom - p*plotH, Label: fmt.Sprintf("%.0f%%", p*100)})
	}
	c.hourLabels(hours)
	for i, h := range hours {
		x, w := c.slot(i, len(hours))
		if h.Attempts == 0 {
			c.Empty = append(c.Empty, bar{X: x + w*0.15, Y: c.Bottom - 2, W: w * 0.7, H: 2, Title: hourTitle(h) + ": no attempts"})
			continue
		}
		rate := h.SuccessRate()
		class := "ok"
		switch {
		case rate < 0.8:
			class = "bad"
		case rate < 0.95:
			class = "warn"
		}
		height := math.Max(rate*plotH, 2)
		c.Bars = append(c.Bars, bar{X: x + w*0.15, Y: c.Bottom - height, W: w * 0.7, H: height, Class: class,
			Title: fmt.Sprintf("%s: %.0f%% of %d attempts succeeded", hourTitle(h), rate*100, h.Attempts)})
	}
	return c
}

// latencyChart draws each hour's slowest exchange as a pale bar and the
// mean as a line through the hours that had attempts.
func latencyChart(hours []hookline.DeliveryHour) *chart {
	c := newChart(len(hours))
	plotH := c.Bottom - c.Top
	top := 0.0
	for _, h := range hours {
		top = math.Max(top, h.MaxMS)
	}
	top = niceCeil(top)
	for _, p := range []float64{0, 0.5, 1} {
		c.Grid = append(c.Grid, gridLine{Y: c.Bottom - p*plotH, Label: formatMS(p * top)})
	}
	c.hourLabels(hours)
	y := func(ms float64) float64 { return c.Bottom - ms/top*plotH }
	var line []point
	flush := func() {
		if len(line) > 1 {
			var pts string
			for _, p := range line {
				pts += fmt.Sprintf("%.1f,%.1f ", p.X, p.Y)
			}
			c.Lines = append(c.Lines, pts)
		}
		line = nil
	}
	for i, h := range hours {
		x, w := c.slot(i, len(hours))
		if h.Attempts == 0 {
			flush()
			c.Empty = append(c.Empty, bar{X: x + w*0.15, Y: c.Bottom - 2, W: w * 0.7, H: 2, Title: hourTitle(h) + ": no attempts"})
			continue
		}
		height := math.Max(c.Bottom-y(h.MaxMS), 2)
		c.Bars = append(c.Bars, bar{X: x + w*0.15, Y: c.Bottom - height, W: w * 0.7, H: height, Class: "max",
			Title: fmt.Sprintf("%s: slowest %s", hourTitle(h), formatMS(h.MaxMS))})
		p := point{X: x + w/2, Y: y(h.AvgMS), Title: fmt.Sprintf("%s: mean %s over %d attempts", hourTitle(h), formatMS(h.AvgMS), h.Attempts)}
		line = append(line, p)
		c.Points = append(c.Points, p)
	}
	flush()
	return c
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 ms at
// least), so that the axis reads in round numbers.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*pow {
			return m * pow
		}
	}
	return 10 * pow
}
