package webhook

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

var spinSink int

func spin(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		for i := 0; i < 100; i++ {
			spinSink += i
		}
	}
}

func BenchmarkZZSpin(b *testing.B) {
	for _, d := range []time.Duration{0, 2 * time.Microsecond, 5 * time.Microsecond, 10 * time.Microsecond} {
		b.Run(d.String(), func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			srv := benchReceiver(b)
			c, data := benchCompiled(b, srv.URL+"/tickets")
			req, _ := c.Build(context.Background(), data)
			body := req.Egress.Body
			for b.Loop() {
				spin(d)
				r, _ := http.NewRequest("POST", srv.URL+"/tickets", bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(r)
				if err != nil {
					b.Fatal(err)
				}
				io.ReadAll(resp.Body)
				resp.Body.Close()
			}
		})
	}
}
