package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/provider/twilio"
)

// TestCrashSMS kills the process serving a SQLite database with SIGKILL
// half-way through a load of signed Twilio messages from 40 contacts,
// restarts it, and checks that every message answered 200 reaches the
// integration's URL as a MESSAGE event, in order per contact, with repeats
// only of the same webhook-id. A message that got no answer is sent again
// with the same MessageSid, as Twilio retries, and is handled once.
func TestCrashSMS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), crashBudget)
	defer cancel()
	bin := buildBinary(t)
	recv := &orderReceiver{byKey: map[string][]arrival{}}
	rc := httptest.NewServer(recv)
	defer rc.Close()
	n := &node{t: t, bin: bin, env: crashEnv(), data: filepath.Join(t.TempDir(), "data")}
	n.start()
	defer n.kill()

	const token = "twilio-crash-auth-token"
	c := client{t, n.url()}
	company := c.call("POST", "/api/v1/tenants", crashAdmin, `{"name": "Shop", "kind": "company"}`, 201)
	key := c.call("POST", fmt.Sprintf("/api/v1/tenants/%v/keys", company["id"]), crashAdmin, "", 201)["key"].(string)
	c.call("POST", "/api/v1/connections", key, `{"type": "sms", "code": "crash-sms",
		"provider": {"account_sid": "AC1", "auth_token": "`+token+`", "from": "+15550001111", "base_url": "http://127.0.0.1:9"}}`, 201)
	integ := c.call("POST", "/api/v1/integrations", key, fmt.Sprintf(`{"alias": "CRM", "method": "POST", "url": %q, "connections": ["crash-sms"]}`, rc.URL+"/events"), 201)
	c.call("POST", fmt.Sprintf("/api/v1/integrations/%v/start", integ["id"]), key, "", 200)

	const contacts, perContact, senders = 40, 15, 8
	total := contacts * perContact
	counts := make([]int, contacts)
	var accepted, refusals atomic.Int64
	var once sync.Once
	restarted := make(chan error, 1)
	errs := make(chan error, senders)
	httpc := &http.Client{Timeout: 10 * time.Second}
	start := time.Now()
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := range perContact {
				for k := s; k < contacts; k += senders {
					form := url.Values{"From": {fmt.Sprintf("+1555000%04d", k)}, "To": {"+15550001111"},
						"Body": {fmt.Sprintf("k%d %d", k, seq)}, "MessageSid": {fmt.Sprintf("SM%d-%d", k, seq)}, "NumMedia": {"0"}}
					last := "no answer yet"
					for {
						if ctx.Err() != nil {
							errs <- fmt.Errorf("k%d %d not accepted in time; last: %s", k, seq, last)
							return
						}
						base := n.url()
						if base == "" {
							time.Sleep(20 * time.Millisecond)
							continue
						}
						inbound := base + "/channels/sms/crash-sms"
						req, _ := http.NewRequestWithContext(ctx, "POST", inbound, strings.NewReader(form.Encode()))
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						req.Header.Set(twilio.HeaderSignature, twilio.Signature(token, inbound, form))
						res, err := httpc.Do(req)
						if err != nil {
							last = err.Error()
							time.Sleep(20 * time.Millisecond)
							continue
						}
						body, _ := io.ReadAll(res.Body)
						res.Body.Close()
						if res.StatusCode == http.StatusOK {
							break
						}
						last = fmt.Sprintf("%d %s", res.StatusCode, body)
						refusals.Add(1)
						if refusals.Load() < 5 {
							t.Logf("refused: %s", last)
						}
						if res.StatusCode != http.StatusServiceUnavailable {
							errs <- fmt.Errorf("k%d %d: %d %s", k, seq, res.StatusCode, body)
							return
						}
						time.Sleep(20 * time.Millisecond)
					}
					counts[k]++
					if accepted.Add(1) == int64(total/2) {
						once.Do(func() {
							go func() {
								at := time.Now()
								n.kill()
								err := n.startErr()
								t.Logf("killed and restarted in %v, %v after the first message", time.Since(at), at.Sub(start))
								restarted <- err
							}()
						})
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d messages accepted in %v; %d events arrived so far", total, time.Since(start), recv.distinct())
	want := map[string]int{}
	for k, got := range counts {
		want[fmt.Sprintf("k%d", k)] = got
	}
	waitArrived(ctx, t, recv, want, []*node{n})
	n.stop()
	repeats := recv.check(t, want)
	t.Logf("%d provider messages from %d contacts arrived in order as MESSAGE events; %d repeated after the kill", total, contacts, repeats)
}
