package egress

import (
	"net"
	"net/url"
	"strings"
)

// Origin is the origin of u as credentials see it: scheme, host and port,
// "https://example.com:443", with the scheme and host in lower case and the
// scheme's default port written out, so that two spellings of one origin
// compare equal. Credentials entered for one origin are sent to it only: a
// redirect to another origin goes without them (see follow), and package
// webhook refuses to keep stored secrets for a changed one.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
