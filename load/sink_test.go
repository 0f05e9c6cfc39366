package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSinkChecksOrderPerKey sends a sink each kind of arrival and checks
// what it counts: in order, a redelivery of the latest, one out of order,
// a gap, a body it cannot read, and the clock's moments.
func TestSinkChecksOrderPerKey(t *testing.T) {
	k := newSink()
	clock := time.Unix(1000, 0)
	k.now = func() time.Time { clock = clock.Add(time.Millisecond); return clock }
	srv := httptest.NewServer(k)
	defer srv.Close()
	c, err := newSinkClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Reset(ctx, 5); err != nil {
		t.Fatal(err)
	}
	post := func(body string, want int) {
		t.Helper()
		res, err := http.Post(srv.URL+deliveryPath, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		discard(res)
		if res.StatusCode != want {
			t.Fatalf("%s: status %d, want %d", body, res.StatusCode, want)
		}
	}
	post(string(backlogBody("k1", 0)), 204)
	post(string(backlogBody("k2", 0)), 204)
	post(string(backlogBody("k1", 1)), 204)
	post(string(backlogBody("k1", 1)), 204) // a redelivery of the latest
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Received != 3 || st.Duplicates != 1 || st.Faults() != 0 || st.Done() || st.FirstAt != time.Unix(1000, 0).Add(time.Millisecond).UnixNano() || st.DoneAt != 0 {
		t.Fatalf("after three in order and a redelivery: %+v", st)
	}
	post(string(backlogBody("k1", 0)), 204) // out of order: 1 came already
	post(string(backlogBody("k2", 2)), 204) // a gap: 1 is missing
	post(`{"key": "k3"}`, 400)
	post(`not json`, 400)
	post(`{"key": "k3", "seq": -1}`, 400)
	st, err = c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Received != 5 || !st.Done() || st.OutOfOrder != 1 || st.Gaps != 1 || st.Malformed != 3 || st.Faults() != 5 || st.DoneAt == 0 {
		t.Fatalf("after the faults: %+v", st)
	}
	for _, want := range []string{"key k1: 0 after 1", "key k2: 2 where 1 was due", "not json"} {
		if !strings.Contains(strings.Join(st.Problems, "\n"), want) {
			t.Errorf("the problems %q lack %q", st.Problems, want)
		}
	}
	// After the gap, the key goes on from the number that came.
	post(string(backlogBody("k2", 3)), 204)
	if st, _ = c.Status(ctx); st.Gaps != 1 || st.Received != 6 {
		t.Fatalf("after the gap: %+v", st)
	}

	if err := c.Reset(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if st, _ = c.Status(ctx); st.Want != 2 || st.Received != 0 || st.Faults() != 0 || st.FirstAt != 0 || len(st.Problems) != 0 {
		t.Fatalf("after a reset: %+v", st)
	}
	// A reset forgets the keys too: k1 starts from 0 again.
	post(string(backlogBody("k1", 0)), 204)
	if st, _ = c.Status(ctx); st.Received != 1 || st.Faults() != 0 || st.Duplicates != 0 {
		t.Fatalf("k1 from 0 after a reset: %+v", st)
	}
}

// TestSinkKeepsFewProblems checks that a flood of faults keeps the text
// of only the first few.
func TestSinkKeepsFewProblems(t *testing.T) {
	k := newSink()
	k.status.Want = 1000
	for seq := 0; seq < 100; seq += 2 {
		rec := httptest.NewRecorder()
		k.ServeHTTP(rec, httptest.NewRequest("POST", deliveryPath, strings.NewReader(string(backlogBody("k", seq)))))
	}
	if k.status.Gaps != 49 || len(k.status.Problems) != maxSinkProblems {
		t.Fatalf("%d gaps, %d problems kept", k.status.Gaps, len(k.status.Problems))
	}
}

func TestSinkControls(t *testing.T) {
	srv := httptest.NewServer(newSink())
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", sinkResetPath + "?want=3", http.StatusMethodNotAllowed},
		{"POST", sinkResetPath, http.StatusBadRequest},
		{"POST", sinkResetPath + "?want=0", http.StatusBadRequest},
		{"POST", sinkResetPath + "?want=x", http.StatusBadRequest},
		{"POST", sinkResetPath + "?want=3", http.StatusNoContent},
		{"GET", sinkStatusPath, http.StatusOK},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		discard(res)
		if res.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, res.StatusCode, tc.want)
		}
	}
	if _, err := newSinkClient("http://10.0.0.1:80"); err == nil {
		t.Error("a sink client for a remote address was made")
	}
	srv.Close()
	c, _ := newSinkClient(srv.URL)
	if _, err := c.Status(context.Background()); err == nil {
		t.Error("the status of a closed sink was read")
	}
	if err := c.Reset(context.Background(), 1); err == nil {
		t.Error("a closed sink was reset")
	}
}
