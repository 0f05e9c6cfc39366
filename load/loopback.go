package load

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// loopback is the only range this package sends to.
func loopback() netip.Prefix { return netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 0, 0, 0}), 8) }

// CheckLoopbackURL accepts only http URLs whose host is an IP address in
// 127.0.0.0/8, so that a mistyped --target can never aim load at another
// machine.
func CheckLoopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("%q: want an http:// URL", raw)
	}
	addr, err := netip.ParseAddr(u.Hostname())
	if err != nil || !loopback().Contains(addr.Unmap()) {
		return nil, fmt.Errorf("%q: the host must be an IP address in %s (load is sent over loopback only)", raw, loopback())
	}
	if u.Port() == "" {
		return nil, fmt.Errorf("%q: the URL needs a port", raw)
	}
	return u, nil
}

// loopbackDialer dials only addresses in 127.0.0.0/8: the check runs on
// the resolved address of every connection, whatever the URL said.
func loopbackDialer() *net.Dialer {
	return &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !loopback().Contains(ap.Addr().Unmap()) {
				return fmt.Errorf("refusing to connect to %s: load goes to %s only", address, loopback())
			}
			return nil
		},
	}
}

// newLoopbackTransport is a plain HTTP/1.1 keep-alive transport that can
// reach loopback only. idlePerHost bounds the connections it keeps.
func newLoopbackTransport(idlePerHost int) *http.Transport {
	dialer := loopbackDialer()
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        idlePerHost,
		MaxIdleConnsPerHost: idlePerHost,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}
