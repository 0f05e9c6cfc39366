package load

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPeers runs the receiver and the forwarder in front of it, and the
// hello server, and checks what each answers and sends.
func TestPeers(t *testing.T) {
	var mu sync.Mutex
	var received [][]byte
	receiverHandler, err := PeerHandler(PeerReceiver, PeerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, body)
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		receiverHandler.ServeHTTP(w, r)
	}))
	defer receiver.Close()
	forwarderHandler, err := PeerHandler(PeerForwarder, PeerConfig{ReceiverURL: receiver.URL})
	if err != nil {
		t.Fatal(err)
	}
	forwarder := httptest.NewServer(forwarderHandler)
	defer forwarder.Close()
	helloHandler, err := PeerHandler(PeerHello, PeerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	hello := httptest.NewServer(helloHandler)
	defer hello.Close()

	res, err := http.Post(forwarder.URL+"/api/v1/webhooks/1/run", "application/json", strings.NewReader(`{"context": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != receiverTicket || !bytes.Contains(body, PeerForwarder.expect()) {
		t.Fatalf("the forwarder answered %d %s", res.StatusCode, body)
	}
	if len(received) != 1 || string(received[0]) != forwardBody {
		t.Fatalf("the receiver got %q", received)
	}
	if n := len(forwardBody); n < 900 || n > 1200 {
		t.Fatalf("the forwarded body has %d bytes, want about 1 KB", n)
	}

	res, err = http.Get(hello.URL + "/api/v1/tenants/2")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(body, PeerHello.expect()) {
		t.Fatalf("hello answered %d %s", res.StatusCode, body)
	}

	if _, err := PeerHandler("other", PeerConfig{}); err == nil {
		t.Fatal("an unknown peer was accepted")
	}
}

// TestServePeerLogsItsAddress checks the line by which a parent finds a
// peer's port, and that the peer stops with its context.
func TestServePeerLogsItsAddress(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	// The parent reads the peer's output as a pipe, line by line.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- ServePeer(ctx, PeerHello, PeerConfig{Addr: "127.0.0.1:0"}, pw); pw.Close() }()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(5 * time.Second)
	for listening := false; !listening; {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the peer's output ended without a listening line")
			}
			listening = strings.Contains(line, `"msg":"listening"`)
		case <-timeout:
			t.Fatal("no listening line within 5 s")
		}
	}
	cancel()
	go func() {
		for range lines {
		}
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
