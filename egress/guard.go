package egress

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// rangeRule is one refused range with the class named in refusals.
type rangeRule struct {
	prefix netip.Prefix
	class  string
}

// Classes named in refusal messages.
const (
	classLoopback      = "loopback"
	classPrivate       = "private"
	classLinkLocal     = "link-local"
	classCGNAT         = "shared (CGNAT)"
	classMulticast     = "multicast"
	classUnspecified   = "unspecified"
	classBroadcast     = "broadcast"
	classReserved      = "reserved"
	classBenchmarking  = "benchmarking"
	classDocumentation = "documentation"
	classMetadata      = "cloud metadata"
	classTeredo        = "Teredo tunnel"
)

// metadataAddrs are the instance-metadata services of the big clouds. They
// hand out credentials to whoever asks from inside the instance, so only an
// allow entry naming exactly the address opens them (see Check).
var metadataAddrs = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true, // AWS, GCP, Azure, OCI, DigitalOcean, ...
	netip.MustParseAddr("169.254.170.2"):   true, // AWS ECS task metadata and credentials
	netip.MustParseAddr("fd00:ec2::254"):   true, // AWS IMDS over IPv6
	netip.MustParseAddr("100.100.100.200"): true, // Alibaba Cloud
	netip.MustParseAddr("168.63.129.16"):   true, // Azure WireServer: public-looking, VM-only
}

// v4Rules are the refused IPv4 ranges, most specific first where they nest.
var v4Rules = []rangeRule{
	{netip.MustParsePrefix("255.255.255.255/32"), classBroadcast},
	{netip.MustParsePrefix("0.0.0.0/8"), classUnspecified},
	{netip.MustParsePrefix("10.0.0.0/8"), classPrivate},
	{netip.MustParsePrefix("100.64.0.0/10"), classCGNAT},
	{netip.MustParsePrefix("127.0.0.0/8"), classLoopback},
	{netip.MustParsePrefix("169.254.0.0/16"), classLinkLocal},
	{netip.MustParsePrefix("172.16.0.0/12"), classPrivate},
	{netip.MustParsePrefix("192.0.0.0/24"), classReserved}, // IETF protocol assignments (DS-Lite, NAT64 discovery)
	{netip.MustParsePrefix("192.0.2.0/24"), classDocumentation},
	{netip.MustParsePrefix("192.88.99.0/24"), classReserved}, // deprecated 6to4 relay anycast
	{netip.MustParsePrefix("192.168.0.0/16"), classPrivate},
	{netip.MustParsePrefix("198.18.0.0/15"), classBenchmarking},
	{netip.MustParsePrefix("198.51.100.0/24"), classDocumentation},
	{netip.MustParsePrefix("203.0.113.0/24"), classDocumentation},
	{netip.MustParsePrefix("224.0.0.0/4"), classMulticast},
	{netip.MustParsePrefix("240.0.0.0/4"), classReserved},
}

// v6Rules are the refused IPv6 ranges inside global unicast space (2000::/3)
// and the special ranges outside it; anything else outside 2000::/3 is
// refused as reserved. Ranges that embed an IPv4 address are handled in
// embeddedV4 before these rules.
var v6Rules = []rangeRule{
	{netip.MustParsePrefix("::/128"), classUnspecified},
	{netip.MustParsePrefix("::1/128"), classLoopback},
	{netip.MustParsePrefix("64:ff9b:1::/48"), classPrivate}, // local-use NAT64 (RFC 8215)
	{netip.MustParsePrefix("100::/64"), classReserved},      // discard-only
	{netip.MustParsePrefix("2001::/32"), classTeredo},
	{netip.MustParsePrefix("2001:2::/48"), classBenchmarking},
	{netip.MustParsePrefix("2001:db8::/32"), classDocumentation},
	{netip.MustParsePrefix("2001:10::/28"), classReserved}, // ORCHID (deprecated)
	{netip.MustParsePrefix("2001:20::/28"), classReserved}, // ORCHIDv2
	{netip.MustParsePrefix("3fff::/20"), classDocumentation},
	{netip.MustParsePrefix("5f00::/16"), classReserved}, // SRv6 SIDs, never on the internet
	{netip.MustParsePrefix("fc00::/7"), classPrivate},
	{netip.MustParsePrefix("fe80::/10"), classLinkLocal},
	{netip.MustParsePrefix("fec0::/10"), classPrivate}, // site-local (deprecated)
	{netip.MustParsePrefix("ff00::/8"), classMulticast},
}

var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// Prefixes whose addresses stand for an IPv4 address.
var (
	compatible6 = netip.MustParsePrefix("::/96")
	nat64       = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// embeddedV4 returns the IPv4 address an IPv6 address stands for and the
// name of the mechanism: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
// (::a.b.c.d, deprecated), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
// Traffic to such an address reaches the IPv4 address, so it is judged by it.
func embeddedV4(a netip.Addr) (netip.Addr, string, bool) {
	if !a.Is6() {
		return netip.Addr{}, "", false
	}
	b := a.As16()
	switch {
	case a.Is4In6():
		return a.Unmap(), "IPv4-mapped", true
	case compatible6.Contains(a) && a != netip.IPv6Unspecified() && a != netip.IPv6Loopback():
		return netip.AddrFrom4([4]byte(b[12:16])), "IPv4-compatible", true
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), "NAT64", true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), "6to4", true
	}
	return netip.Addr{}, "", false
}

// Check is the guard's decision for one resolved address: nil when hookline
// may connect to it, else an *Error of KindBlocked whose message names the
// address's class, such as "loopback address 127.0.0.1 is not allowed".
//
// An address is allowed when it, or the IPv4 address it embeds, lies in one
// of the allow prefixes, or when it is a public unicast address. Cloud
// metadata addresses are opened only by an allow entry that names exactly
// that address, so a broad entry such as 169.254.0.0/16 or 0.0.0.0/0 never
// exposes instance credentials by accident.
func Check(addr netip.Addr, allow []netip.Prefix) error {
	if !addr.IsValid() {
		return &Error{Kind: KindBlocked, Msg: "invalid address is not allowed"}
	}
	// Zones only matter for link-local addresses, and Prefix.Contains never
	// matches an address with a zone.
	addr = addr.WithZone("")
	v4, via, embeds := embeddedV4(addr)

	if metadataAddrs[addr] || (embeds && metadataAddrs[v4]) {
		if allowedExactly(addr, allow) || (embeds && allowedExactly(v4, allow)) {
			return nil
		}
		return blocked(classMetadata, addr, v4, via)
	}
	if allowed(addr, allow) || (embeds && allowed(v4, allow)) {
		return nil
	}
	if embeds {
		if class := classify4(v4); class != "" {
			return blocked(class, addr, v4, via)
		}
		if via == "IPv4-compatible" {
			// Deprecated since 2006 (RFC 4291); nothing legitimate uses it.
			return blocked(classReserved, addr, v4, via)
		}
		return nil
	}
	if addr.Is4() {
		if class := classify4(addr); class != "" {
			return blocked(class, addr, netip.Addr{}, "")
		}
		return nil
	}
	for _, r := range v6Rules {
		if r.prefix.Contains(addr) {
			return blocked(r.class, addr, netip.Addr{}, "")
		}
	}
	if !globalUnicast6.Contains(addr) {
		return blocked(classReserved, addr, netip.Addr{}, "")
	}
	return nil
}

func classify4(a netip.Addr) string {
	for _, r := range v4Rules {
		if r.prefix.Contains(a) {
			return r.class
		}
	}
	return ""
}

func allowed(a netip.Addr, allow []netip.Prefix) bool {
	for _, p := range allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func allowedExactly(a netip.Addr, allow []netip.Prefix) bool {
	for _, p := range allow {
		if p.IsSingleIP() && p.Addr() == a {
			return true
		}
	}
	return false
}

func blocked(class string, addr, v4 netip.Addr, via string) *Error {
	if via == "" {
		return &Error{Kind: KindBlocked, Msg: fmt.Sprintf("%s address %s is not allowed", class, addr)}
	}
	return &Error{Kind: KindBlocked, Msg: fmt.Sprintf("%s address %s (%s %s) is not allowed", class, addr, via, v4)}
}

// ParseAllow parses HOOKLINE_EGRESS_ALLOW: comma-separated CIDR ranges or
// bare IP addresses (a bare address opens just itself). Spaces around
// entries and empty entries are ignored. Host bits in a range are masked
// off, so 10.1.2.3/8 means 10.0.0.0/8. The error names the bad entry; the
// caller names the setting it came from (the variable or a flag).
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := parseAllowEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("entry %d %q: %w", i+1, entry, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseAllowEntry(entry string) (netip.Prefix, error) {
	if strings.Contains(entry, "%") {
		return netip.Prefix{}, errors.New("IPv6 zones are not allowed")
	}
	if strings.Contains(entry, "/") {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return netip.Prefix{}, errors.New("not a CIDR range such as 10.0.0.0/8 or fd00::/8")
		}
		if p.Addr().Is4In6() {
			return netip.Prefix{}, errors.New("write IPv4-mapped ranges in IPv4 form")
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(entry)
	if err != nil {
		return netip.Prefix{}, errors.New("not an IP address or CIDR range")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseHostIP reads a URL host as an IP address the way resolvers and
// browsers would: IPv6 literals, and IPv4 in every inet_aton spelling
// (2130706433, 0x7f000001, 017700000001, 127.1, 0x7f.1, a trailing dot).
// isIP reports whether the host must be treated as an address at all: as in
// the WHATWG URL standard, a host whose last label is a number is an IPv4
// address or invalid, never a name to look up, so no spelling of an address
// can slip past the guard to a resolver.
func parseHostIP(host string) (addr netip.Addr, isIP bool, err error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, true, nil
	}
	h := strings.TrimSuffix(host, ".")
	if !isNumberLabel(h[strings.LastIndexByte(h, '.')+1:]) {
		return netip.Addr{}, false, nil
	}
	a, ok := parseInetAton(strings.Split(h, "."))
	if !ok {
		return netip.Addr{}, true, fmt.Errorf("host %q is not a valid IPv4 address", host)
	}
	return a, true, nil
}

// isNumberLabel reports whether a label is a decimal, octal or hex number
// (including the bare "0x"), per the WHATWG "ends in a number" rule.
func isNumberLabel(s string) bool {
	if s == "" {
		return false
	}
	if len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X") {
		for _, c := range s[2:] {
			if !isHex(c) {
				return false
			}
		}
		return true
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isHex(c rune) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// parseInetAton implements inet_aton: one to four parts, each decimal, octal
// (leading 0) or hex (0x); the last part fills the remaining bytes.
func parseInetAton(parts []string) (netip.Addr, bool) {
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var vals []uint64
	for _, p := range parts {
		v, ok := parseAtonPart(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals = append(vals, v)
	}
	last := vals[len(vals)-1]
	var ip uint32
	for i, v := range vals[:len(vals)-1] {
		if v > 0xff {
			return netip.Addr{}, false
		}
		ip |= uint32(v) << (24 - 8*i)
	}
	rest := 4 - (len(vals) - 1) // bytes the last part fills
	if last >= 1<<(8*rest) {
		return netip.Addr{}, false
	}
	ip |= uint32(last)
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), true
}

func parseAtonPart(p string) (uint64, bool) {
	base := 10
	switch {
	case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
		base, p = 16, p[2:]
		if p == "" {
			return 0, true // "0x" alone is zero, as in inet_aton and WHATWG
		}
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	}
	if p == "" {
		return 0, false
	}
	for _, c := range p {
		if c == '+' || c == '-' || c == '_' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(p, base, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}
