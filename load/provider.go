package load

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The provider-sms scenario (issue 18): provider messages per second end
// to end. A backlog of SMS, each a form signed as Twilio signs it, is
// posted to POST /channels/sms/{code} of a connection held by an active
// Custom Webhook integration; each becomes a chat message and a signed
// MESSAGE event, which the sink in chat mode acknowledges and checks. When
// every SMS is posted, the chats of every endEvery-th contact are ended
// through the reply URL, and their END events must come after all their
// MESSAGE events. Beside it, in the same rounds, the queue's own figure:
// delivery-publish with the same backlog, keys and connections.

// publishName is the provider scenario's baseline in reports.
const publishName = "delivery-publish"

// endEvery: the chats of contacts 0, 10, 20... are ended after the load.
const endEvery = 10

// providerFloor is issue 18's floor, in provider messages per second.
const providerFloor = 5000

// providerSMSScenario is issue 18's benchmark.
func providerSMSScenario() Scenario {
	return Scenario{
		Name: "provider-sms",
		Summary: "a backlog of SMS signed as Twilio signs them (X-Twilio-Signature), posted to POST /channels/sms/{code} of an active Custom Webhook integration " +
			"from --connections connections, each a signed MESSAGE event for the receiver, which checks each chat's order and that END (every 10th chat, ended after the load) comes last " +
			"(messages/s from the first post to the last MESSAGE event); against delivery-publish with the same backlog in the same rounds",
		Deliveries: &DeliveryScenario{Provider: true, FloorPerSecond: providerFloor},
	}
}

// TwilioSignature is Twilio's X-Twilio-Signature of a form posted to
// fullURL: the base64 HMAC-SHA1, keyed with the auth token, of the URL
// followed by each parameter's name and value, sorted by name. It is
// written here from Twilio's documentation rather than taken from
// hookline's provider package, so that the bench checks hookline against
// an independent signer (TestTwilioSignatureVector checks it against
// Twilio's published example).
func TwilioSignature(authToken, fullURL string, form url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	io.WriteString(mac, fullURL)
	names := make([]string, 0, len(form))
	for name := range form {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		values := slices.Clone(form[name])
		slices.Sort(values)
		for _, v := range values {
			io.WriteString(mac, name)
			io.WriteString(mac, v)
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SMSConfig says which connection the SMS publisher posts to.
type SMSConfig struct {
	// Base is hookline's base URL (loopback), PublicURL the address it
	// signs against (its HOOKLINE_PUBLIC_URL; the base when not set).
	Base, PublicURL string
	// Code is the connection's code; AccountSID, AuthToken and To its
	// provider's account, auth token and number.
	Code, AccountSID, AuthToken, To string
	// Round makes the message ids of each round differ.
	Round int
	// Backlog, Keys, Connections and Timeout are as in PublishConfig:
	// contact k sends messages k, k+Keys..., from one connection, in order.
	Backlog, Keys, Connections int
	Timeout                    time.Duration
}

// smsForm is message i of the backlog as Twilio posts it: contact k's
// seq-th message reads "msg <seq>".
func smsForm(cfg SMSConfig, i int) url.Values {
	k, seq := i%cfg.Keys, i/cfg.Keys
	sid := fmt.Sprintf("SM%08x%024x", cfg.Round, i)
	return url.Values{
		"AccountSid": {cfg.AccountSID}, "ApiVersion": {"2010-04-01"}, "Body": {"msg " + strconv.Itoa(seq)},
		"From": {contactOf(k)}, "To": {cfg.To}, "MessageSid": {sid}, "SmsMessageSid": {sid}, "SmsSid": {sid},
		"SmsStatus": {"received"}, "NumMedia": {"0"}, "NumSegments": {"1"},
	}
}

// NewSMSPublisher returns a publisher of the backlog as SMS: each a signed
// form, answered 200 with empty TwiML.
func NewSMSPublisher(cfg SMSConfig) (*Publisher, error) {
	if err := checkBacklog(cfg.Backlog, cfg.Keys, cfg.Connections); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		return nil, fmt.Errorf("the request timeout must be positive, got %s", cfg.Timeout)
	}
	if _, err := CheckLoopbackURL(cfg.Base); err != nil {
		return nil, err
	}
	if cfg.Keys > 10_000_000 {
		return nil, fmt.Errorf("%d contacts: at most 10,000,000 have a number", cfg.Keys)
	}
	path := "/channels/sms/" + url.PathEscape(cfg.Code)
	target := strings.TrimSuffix(cfg.Base, "/") + path
	signed := strings.TrimSuffix(cmpOr(cfg.PublicURL, cfg.Base), "/") + path
	p := &Publisher{cfg: PublishConfig{Backlog: cfg.Backlog, Keys: cfg.Keys, Connections: cfg.Connections, Timeout: cfg.Timeout}, urls: []string{target}}
	p.send = func(ctx context.Context, client *http.Client, target string, i int) error {
		form := smsForm(cfg, i)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", TwilioSignature(cfg.AuthToken, signed, form))
		res, err := client.Do(req)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return context.Cause(ctx)
			}
			return err
		}
		defer discard(res)
		answer, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
		if res.StatusCode != http.StatusOK || !strings.Contains(string(answer), "<Response/>") {
			return fmt.Errorf("POST %s (contact %s, message %s): status %d, want 200 and empty TwiML: %s",
				target, form.Get("From"), form.Get("Body"), res.StatusCode, snippet(answer))
		}
		p.accepted.Add(1)
		return nil
	}
	return p, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// providerSetup is what measureProvider made through the API.
type providerSetup struct {
	company       Company
	integrationID int64
	secret        string
	replyToken    string
	code          string
	authToken     string
}

// Provider fixtures: the connection's account and number.
const (
	benchAccountSID = "ACbench0000000000000000000000000"
	benchNumber     = "+15550100000"
)

// setUpProvider creates the company, the SMS connection, the integration
// holding it (sending to the sink, with the default body fields) and
// starts the integration.
func setUpProvider(ctx context.Context, api *APIClient, sinkURL string, round int) (providerSetup, error) {
	var s providerSetup
	var err error
	if s.company, err = api.CreateCompany(ctx, fmt.Sprintf("bench provider-sms round %d", round+1)); err != nil {
		return s, err
	}
	token, err := newAdminToken()
	if err != nil {
		return s, err
	}
	s.code, s.authToken = fmt.Sprintf("bench-sms-%d", round+1), "tw_"+token
	if err := api.Call(ctx, http.MethodPost, "/api/v1/connections", s.company.Key, map[string]any{
		"type": "sms", "code": s.code,
		"provider": map[string]any{"account_sid": benchAccountSID, "auth_token": s.authToken, "from": benchNumber, "base_url": sinkURL},
	}, nil, http.StatusCreated); err != nil {
		return s, err
	}
	var integ struct {
		ID            int64  `json:"id"`
		SigningSecret string `json:"signing_secret"`
		ReplyToken    string `json:"reply_token"`
	}
	if err := api.Call(ctx, http.MethodPost, "/api/v1/integrations", s.company.Key, map[string]any{
		"alias": "Bench CRM", "method": "POST", "url": sinkURL + "/events", "connections": []string{s.code},
	}, &integ, http.StatusCreated); err != nil {
		return s, err
	}
	if !strings.HasPrefix(integ.SigningSecret, "whsec_") || integ.ReplyToken == "" {
		return s, fmt.Errorf("the integration came back without a signing secret and a reply token")
	}
	s.integrationID, s.secret, s.replyToken = integ.ID, integ.SigningSecret, integ.ReplyToken
	if err := api.Call(ctx, http.MethodPost, fmt.Sprintf("/api/v1/integrations/%d/start", s.integrationID), s.company.Key, nil, nil, http.StatusOK); err != nil {
		return s, err
	}
	return s, nil
}

// endChats ends the chats of every endEvery-th contact through the reply
// URL, as the customer would, from a few connections at once.
func endChats(ctx context.Context, api *APIClient, s providerSetup) (int, error) {
	type chat struct {
		ID      int64  `json:"id"`
		Contact string `json:"contact"`
	}
	var ids []int64
	cursor := ""
	for {
		var page struct {
			Chats      []chat `json:"chats"`
			NextCursor string `json:"next_cursor"`
		}
		path := fmt.Sprintf("/api/v1/integrations/%d/chats?limit=500", s.integrationID)
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if err := api.Call(ctx, http.MethodGet, path, s.company.Key, nil, &page, http.StatusOK); err != nil {
			return 0, err
		}
		for _, c := range page.Chats {
			if k, ok := contactNumber(c.Contact); ok && endsChat(k, endEvery) {
				ids = append(ids, c.ID)
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	work := make(chan int64)
	for range 4 {
		wg.Go(func() {
			for id := range work {
				if err := api.Call(ctx, http.MethodPost, fmt.Sprintf("/api/v1/integrations/%d/chats/%d/end", s.integrationID, id), s.replyToken, nil, nil, http.StatusOK); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	return len(ids), errors.Join(errs...)
}

// measureProvider measures provider messages end to end once: fresh
// store and node, connection and integration, the SMS backlog posted,
// chats ended, every MESSAGE and END event received.
func (r *runner) measureProvider(ctx context.Context, round int, at deliveryTarget) (side DeliverySide, err error) {
	cfg := r.cfg
	nodes, token, stop, err := r.startNodes(ctx, round, "", false, round == 0 && cfg.CPUProfile != "")
	defer func() {
		if stopErr := stop(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	if err != nil {
		return side, err
	}
	api, err := NewAPIClient(nodes[0].URL(), token)
	if err != nil {
		return side, err
	}
	s, err := setUpProvider(ctx, api, at.sinkURL, round)
	if err != nil {
		return side, err
	}
	expect := ChatExpect{Secret: s.secret, Keys: cfg.Keys, EndEvery: endEvery}
	if err := at.sink.ResetChat(ctx, cfg.Backlog, expect); err != nil {
		return side, err
	}
	pub, err := NewSMSPublisher(SMSConfig{Base: nodes[0].URL(), Code: s.code, AccountSID: benchAccountSID, AuthToken: s.authToken, To: benchNumber,
		Round: round, Backlog: cfg.Backlog, Keys: cfg.Keys, Connections: cfg.Connections, Timeout: cfg.RequestTimeout})
	if err != nil {
		return side, err
	}
	before, err := sampleUsage(nodes, at.sinkPID)
	if err != nil {
		return side, err
	}
	// On an early return the publisher and the ending of chats stop too.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	publishing := r.startPublisher(ctx, pub)
	defer func() {
		publishing.cancel()
		publishing.Wait()
	}()
	// The chats are ended as soon as every SMS is in, while their events
	// may still wait in the queue: END must come after them all the same.
	type ended struct {
		n   int
		err error
	}
	ending := make(chan ended, 1)
	go func() {
		if _, err := publishing.Wait(); err != nil {
			ending <- ended{err: err}
			return
		}
		n, err := endChats(ctx, api, s)
		ending <- ended{n, err}
	}()
	st, middle, err := r.waitDelivered(ctx, at.sink, nodes, publishing)
	if err != nil {
		return side, err
	}
	after, err := sampleUsage(nodes, at.sinkPID)
	if err != nil {
		return side, err
	}
	published, err := publishing.Wait()
	if err != nil {
		return side, err
	}
	var e ended
	select {
	case e = <-ending:
	case <-ctx.Done():
		return side, ctx.Err()
	}
	if e.err != nil {
		return side, fmt.Errorf("ending the chats: %w", e.err)
	}
	if st, err = r.waitEnds(ctx, at.sink, e.n); err != nil {
		return side, err
	}
	side = newDeliverySide(st, time.Duration(st.DoneAt-published.Started.UnixNano()), after.cpu-before.cpu, after.sinkCPU-before.sinkCPU)
	side.QueuedSeconds = published.Seconds()
	side.AcceptedPerSecond = quotient(float64(published.Accepted), published.Seconds())
	for i := range nodes {
		side.RSS = append(side.RSS, RSS{StartMB: mb(before.rss[i]), MiddleMB: mb(middle[i]), EndMB: mb(after.rss[i])})
	}
	return side, nil
}

// waitEnds polls the sink until the END events of the ended chats have
// arrived, for at most stallTimeout.
func (r *runner) waitEnds(ctx context.Context, sink *sinkClient, ended int) (SinkStatus, error) {
	deadline := time.Now().Add(stallTimeout)
	for {
		st, err := sink.Status(ctx)
		if err != nil {
			return st, err
		}
		if st.WantEnds != ended {
			return st, fmt.Errorf("%d chats were ended, the receiver expects %d END events", ended, st.WantEnds)
		}
		if st.EndsDone() {
			return st, nil
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("%d of %d END events arrived within %s of the last MESSAGE event", st.Ends, st.WantEnds, stallTimeout)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}
