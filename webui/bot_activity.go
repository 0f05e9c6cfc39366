package webui

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/hookline/hookline"
)

// botActivity is the dashboard's part on one bot: its messages and
// sessions per hour over the last day, of all its channels or one, as
// seed 004's analytics filter them by channel.
type botActivity struct {
	Bot     *hookline.Bot
	Filters []field
	// WebhookID carries the dashboard's other filter through this form.
	WebhookID string
	// ChannelName names the channel shown; UnknownChannel says the one
	// asked for is not the bot's, so all are shown.
	ChannelName    string
	UnknownChannel bool
	// ChannelParam is the channel filter's value, for the dashboard's
	// other form to carry.
	ChannelParam string
	// The sums over the range.
	In, Out, Started, Ended, Calls int64
	HasTraffic                     bool
	Messages, Sessions             *chart
	Channels                       []channelTotals
	Hours                          []activityHour
	From, To                       time.Time
	channelID                      *int64
}

// channelTotals is one channel's line of the table.
type channelTotals struct {
	Name string
	hookline.BotMetricCounts
}

// activityHour is one hour's counts, for the table under the charts.
type activityHour struct {
	Start                   time.Time
	In, Out, Started, Ended int64
}

// tryChannel is the channel filter's value of the builder's console,
// channel 0.
const tryChannel = "try"

// botActivity reads the bot_id and channel filters and the bot's metrics;
// nil when the caller has no bot.
func (s *Server) botActivity(ctx context.Context, r *http.Request, c *hookline.Caller) (*botActivity, error) {
	botID, err := queryID(r, "bot_id")
	if err != nil {
		return nil, err
	}
	bp, err := s.bots.FindBots(ctx, c, 0, hookline.PageRequest{Limit: hookline.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	if len(bp.Items) == 0 && botID == 0 {
		return nil, nil
	}
	var b *hookline.Bot
	for _, x := range bp.Items {
		if x.ID == botID || botID == 0 && b == nil {
			b = x
		}
	}
	if b == nil {
		// A bot beyond the picker's page, or not the caller's.
		if b, err = s.bots.FindBot(ctx, c, botID); err != nil {
			return nil, err
		}
		bp.Items = append(bp.Items, b)
	}
	chs, err := s.channels.FindChannels(ctx, c, b.ID, hookline.PageRequest{Limit: hookline.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	v := &botActivity{Bot: b, WebhookID: r.URL.Query().Get("webhook_id")}
	pick := field{Path: "bot_id", Label: "Bot", Type: "select"}
	for _, x := range bp.Items {
		pick.Options = append(pick.Options, option{Value: strconv.FormatInt(x.ID, 10), Label: x.Name, Selected: x.ID == b.ID})
	}
	want := r.URL.Query().Get("channel")
	channel := field{Path: "channel", Label: "Channel", Type: "select", Options: []option{{Value: "", Label: "All channels", Selected: want == ""}},
		Hint: "Webhook channels by name; the console is the builder's Try page."}
	channel.Options = append(channel.Options, option{Value: tryChannel, Label: "Try console", Selected: want == tryChannel})
	if want == tryChannel {
		v.channelID, v.ChannelName = ptr(int64(0)), "the try console"
	}
	for _, ch := range chs.Items {
		id := strconv.FormatInt(ch.ID, 10)
		channel.Options = append(channel.Options, option{Value: id, Label: ch.Name, Selected: id == want})
		if id == want {
			v.channelID, v.ChannelName = ptr(ch.ID), ch.Name
		}
	}
	if v.channelID != nil {
		v.ChannelParam = want
	}
	if want != "" && v.channelID == nil {
		// A channel of another bot, left from the previous choice: the
		// bot's channels are all shown, and the page says so.
		v.UnknownChannel = true
		channel.Options[0].Selected = true
	}
	v.Filters = []field{pick, channel}
	m, err := s.bots.BotMetrics(ctx, c, b.ID, hookline.BotMetricsQuery{ChannelID: v.channelID})
	if err != nil {
		return nil, err
	}
	v.From, v.To = m.From, m.To
	v.fill(m)
	return v, nil
}

// fill sums the metrics per hour over every hour of the range, and per
// channel, and draws the charts.
func (v *botActivity) fill(m *hookline.BotMetrics) {
	var hours []time.Time
	index := map[time.Time]int{}
	for t := m.From.UTC(); t.Before(m.To); t = t.Add(time.Hour) {
		index[t] = len(hours)
		hours = append(hours, t)
	}
	n := len(hours)
	in, out, started, ended := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for _, ch := range m.Channels {
		name := ch.ChannelName
		if ch.ChannelID == 0 {
			name = "Try console"
		} else if name == "" {
			name = fmt.Sprintf("Channel %d", ch.ChannelID)
		}
		v.Channels = append(v.Channels, channelTotals{Name: name, BotMetricCounts: ch.Totals})
		v.In += ch.Totals.MessagesIn
		v.Out += ch.Totals.MessagesOut
		v.Started += ch.Totals.SessionsStarted
		v.Ended += ch.Totals.SessionsEnded
		for _, calls := range ch.Totals.WebhookCalls {
			v.Calls += calls
		}
		for _, h := range ch.Hours {
			i, ok := index[h.Hour.UTC()]
			if !ok {
				continue
			}
			in[i] += h.MessagesIn
			out[i] += h.MessagesOut
			started[i] += h.SessionsStarted
			ended[i] += h.SessionsEnded
		}
	}
	v.HasTraffic = v.In+v.Out+v.Started+v.Ended > 0
	for i, t := range hours {
		v.Hours = append(v.Hours, activityHour{Start: t, In: in[i], Out: out[i], Started: started[i], Ended: ended[i]})
	}
	v.Messages = countChart(hours, series{Class: "in", Noun: "user messages", Values: in}, series{Class: "out", Noun: "bot messages", Values: out})
	v.Sessions = countChart(hours, series{Class: "started", Noun: "sessions started", Values: started}, series{Class: "ended", Noun: "sessions ended", Values: ended})
}

// series is one kind of count of a chart, drawn side by side with the
// others in each hour.
type series struct {
	Class, Noun string
	Values      []int64
}

// countChart draws counts per hour as grouped bars, one per series; an
// hour without any is a grey tick.
func countChart(hours []time.Time, ss ...series) *chart {
	c := newChart(len(hours))
	plotH := c.Bottom - c.Top
	var most int64
	for _, s := range ss {
		for _, v := range s.Values {
			most = max(most, v)
		}
	}
	top := niceCeil(float64(most))
	if top < 2 {
		top = 2
	}
	if math.Mod(top, 2) != 0 {
		// Halves of the axis are whole numbers.
		top *= 2
	}
	for _, p := range []float64{0, 0.5, 1} {
		c.Grid = append(c.Grid, gridLine{Y: c.Bottom - p*plotH, Label: strconv.FormatFloat(p*top, 'f', 0, 64)})
	}
	for i, h := range hours {
		if i%6 == 3 {
			x, w := c.slot(i, len(hours))
			c.Labels = append(c.Labels, axisLabel{X: x + w/2, Label: h.Format("15:04")})
		}
	}
	for i, h := range hours {
		x, w := c.slot(i, len(hours))
		title := h.Format("Jan 2, 15:04") + " UTC"
		var any bool
		for _, s := range ss {
			any = any || s.Values[i] > 0
		}
		if !any {
			c.Empty = append(c.Empty, bar{X: x + w*0.15, Y: c.Bottom - 2, W: w * 0.7, H: 2, Title: title + ": nothing"})
			continue
		}
		bw := w * 0.8 / float64(len(ss))
		for j, s := range ss {
			v := s.Values[i]
			height := float64(v) / top * plotH
			if v > 0 {
				height = math.Max(height, 2)
			}
			c.Bars = append(c.Bars, bar{X: x + w*0.1 + float64(j)*bw, Y: c.Bottom - height, W: bw, H: height, Class: s.Class,
				Title: fmt.Sprintf("%s: %d %s", title, v, s.Noun)})
		}
	}
	return c
}
