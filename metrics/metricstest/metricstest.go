// Package metricstest reads hookline's /metrics in tests: it scrapes the
// Prometheus text format and looks series up by their labels, for the
// metrics package's own tests and for the end-to-end ones of the binary.
package metricstest

import (
	"io"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape GETs base+"/metrics" (with token as a bearer token, if not empty)
// and parses the text format. The families are nil unless the status is
// 200; a body that does not parse fails the test.
func Scrape(tb testing.TB, base, token string) (int, map[string]*dto.MetricFamily) {
	tb.Helper()
	req, err := http.NewRequest("GET", base+"/metrics", nil)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, res.Body)
		return res.StatusCode, nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		tb.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	return res.StatusCode, families
}

// Value returns the value of the family's first series whose labels
// include labels (name, value, ...), and whether there is one: a counter's
// or gauge's value, a histogram's count.
func Value(families map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}
