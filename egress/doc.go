// Package egress is the one HTTP client for everything that leaves
// hookline: webhooks, async deliveries and channel providers. Tenants choose
// the URLs, so every rule here exists to keep a tenant from using hookline
// to reach what only hookline's own network position can reach, and to keep
// one slow or hostile endpoint from tying hookline up.
//
// # The address guard
//
// Addresses are checked after DNS resolution, inside the dialer, and the
// dialer then connects to exactly the addresses it checked. Checking the URL
// alone would not do: a public-looking name can resolve to 127.0.0.1, and a
// name checked once and resolved again at connect time can change its
// answer in between (DNS rebinding). A net.Dialer Control hook checks each
// socket's address once more, so no code path dials around the guard. If
// any address of a name is refused, the name is refused: a name mixing
// public and private answers is a rebinding attempt or a mistake.
//
// Refused, because they reach hookline's own host or network rather than
// the internet: loopback (127.0.0.0/8, ::1), private (10/8, 172.16/12,
// 192.168/16, fc00::/7, deprecated site-local fec0::/10, local-use NAT64
// 64:ff9b:1::/48), link-local (169.254/16, fe80::/10), shared CGNAT space
// (100.64/10), unspecified (0.0.0.0/8 and ::, which many systems treat as
// "this host"), broadcast and multicast (224/4, ff00::/8). Refused because
// nothing legitimate lives there and routers may still deliver them
// somewhere internal: reserved (240/4, 192.0.0.0/24, 192.88.99.0/24, IPv6
// outside 2000::/3, discard-only 100::/64, ORCHID, SRv6 SIDs), benchmarking
// (198.18/15, 2001:2::/48) and documentation ranges (192.0.2/24,
// 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20).
//
// Cloud metadata services (169.254.169.254, 169.254.170.2, fd00:ec2::254,
// 100.100.100.200, Azure's 168.63.129.16) hand out instance credentials to
// any local caller, which makes them the prize of server-side request
// forgery. They are refused like their ranges, and an allow entry opens one
// only by naming exactly that address, so 0.0.0.0/0 or 169.254.0.0/16 in
// HOOKLINE_EGRESS_ALLOW never exposes them by accident.
//
// IPv6 addresses that stand for an IPv4 address are judged by that address:
// IPv4-mapped (::ffff:127.0.0.1), IPv4-compatible (::127.0.0.1, deprecated,
// so refused even when the IPv4 address is public), NAT64 (64:ff9b::/96)
// and 6to4 (2002::/16). Otherwise ::ffff:7f00:1 would be a second spelling
// of 127.0.0.1 that slips past an IPv4 rule. Teredo (2001::/32) is refused
// outright: its client address is obfuscated in the IPv6 address and the
// service is defunct, so nothing is lost.
//
// A URL host is read as an address the way resolvers and browsers read it:
// 2130706433, 0x7f000001, 017700000001, 127.1, 0x7f.1 are all 127.0.0.1 to
// inet_aton, and a host whose last label is a number is an address or
// invalid, never a name (as in the WHATWG URL standard). These spellings are
// normalized and checked before any lookup, so they never reach a resolver
// that might interpret them, and the request is sent with the canonical
// address, as a browser would.
//
// HOOKLINE_EGRESS_ALLOW (Config.Allow, parsed by ParseAllow) opens chosen
// ranges, for instance a private network with the endpoints a self-hosted
// installation is meant to call.
//
// # URLs and redirects
//
// Only http and https: other schemes reach other services (file, gopher).
// Credentials in URLs are refused because they end up in logs and Referer
// headers; they belong in an Authorization header. Redirects are followed
// up to MaxRedirects, and every hop is validated like the first URL: a
// public endpoint could otherwise redirect to an internal one. A redirect
// that leaves the origin (scheme, host and port, see Origin: another port
// or a subdomain is another origin) drops Authorization, Cookie and the
// request's SecretHeaders, such as an API key header, and takes its
// SecretParams out of the next URL's query; no Referer is ever added,
// since it would carry the previous URL's query to the next host. Methods and bodies change per hop as with Go's client: 301, 302
// and 303 turn other methods into a GET without a body, 307 and 308
// repeat both.
//
// No proxy is used, not even one from HTTP_PROXY/HTTPS_PROXY: through a
// proxy the dialer would check the proxy's address while the proxy
// resolved and reached the target unchecked.
//
// # Time and size
//
// Request.Timeout bounds the whole exchange: connecting, redirects, in-flow
// retries and reading the body (default 5 s, at most 30 s), so a caller
// knows the worst case up front and one slow endpoint holds a worker for a
// known time. Bodies are read up to Config.MaxResponseBytes (1 MiB by
// default) plus one byte to tell whether there was more; a longer body is
// cut, Response.Truncated is set and the connection is closed rather than
// drained, so an endless response costs nothing more.
//
// # Retries
//
// In-flow retries cover brief failures (a restarting server, a load
// balancer's 502/503/504) within the request's own timeout. Only methods
// that are safe to repeat retry by default (GET, HEAD, PUT, DELETE,
// OPTIONS); POST and PATCH might have taken effect before the failure, so
// they retry only with RetryUnsafe. Waits are short (100 ms, 250 ms,
// 500 ms, 1 s) with ±20% jitter so clients spread out; a longer Retry-After
// is honoured. A retry starts only when the wait plus another attempt as
// long as the last one fits before the deadline; otherwise the last
// response or error is returned. Refused addresses, DNS failures, TLS
// failures, invalid requests and answers that cannot be used never retry:
// the same request would fail the same way. The body is a []byte so that
// it can be sent again.
//
// # Errors
//
// Every failure is an *Error with a Kind (timeout, connection, dns, tls,
// blocked_address, invalid_request, invalid_response) for code and a
// message for people. invalid_response is the server's answer at fault: a
// redirect that is refused (other than by the address guard) or does not
// parse, one redirect too many, a body that does not decode. The
// message names the host but never the URL's path or query, which often
// carry API keys. A caller's cancellation is KindConnection wrapping
// context.Canceled.
//
// # Transport
//
// One *http.Transport per Client, shared by all requests, keeps
// connections alive (16 idle per host) and negotiates HTTP/2 over TLS 1.2
// or later. A User-Agent is sent when the request names none.
package egress
