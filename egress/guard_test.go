package egress

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// TestCheck table-tests the guard's decision for every refused class and
// for public addresses, with no traffic at all.
func TestCheck(t *testing.T) {
	cases := []struct {
		addr  string
		class string // "" means allowed
	}{
		// Public addresses pass.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"93.184.216.34", ""},
		{"2606:4700:4700::1111", ""},
		{"2a00:1450:4001:82b::200e", ""},

		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"::1", "loopback"},

		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"fec0::1", "private"},
		{"64:ff9b:1::a00:1", "private"},

		{"169.254.1.1", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},

		{"100.64.0.1", "shared (CGNAT)"},
		{"100.127.255.255", "shared (CGNAT)"},

		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},

		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},

		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		{"192.0.0.8", "reserved"},
		{"100::1", "reserved"},
		{"4000::1", "reserved"},

		{"198.18.0.1", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"2001:2::1", "benchmarking"},

		{"192.0.2.1", "documentation"},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"2001:db8::1", "documentation"},
		{"3fff::1", "documentation"},

		{"169.254.169.254", "cloud metadata"},
		{"169.254.170.2", "cloud metadata"},
		{"fd00:ec2::254", "cloud metadata"},
		{"100.100.100.200", "cloud metadata"},
		{"168.63.129.16", "cloud metadata"},
		{"::ffff:169.254.169.254", "cloud metadata"},

		// IPv6 forms that stand for an IPv4 address are judged by it.
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:7f00:1", "loopback"},
		{"::ffff:10.1.2.3", "private"},
		{"::ffff:8.8.8.8", ""},
		{"::127.0.0.1", "loopback"},
		{"::7f00:1", "loopback"},
		{"::8.8.8.8", "reserved"}, // IPv4-compatible is deprecated even when public
		{"64:ff9b::127.0.0.1", "loopback"},
		{"64:ff9b::a9fe:a9fe", "cloud metadata"},
		{"64:ff9b::808:808", ""},
		{"2002:7f00:1::", "loopback"},
		{"2002:c0a8:101::1", "private"},
		{"2002:808:808::1", ""},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo tunnel"},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			err := Check(netip.MustParseAddr(tc.addr), nil)
			if tc.class == "" {
				if err != nil {
					t.Fatalf("Check(%s) = %v, want allowed", tc.addr, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindBlocked {
				t.Fatalf("Check(%s) = %v, want blocked_address", tc.addr, err)
			}
			shown := netip.MustParseAddr(tc.addr).WithZone("").String()
			if want := tc.class + " address " + shown; !strings.HasPrefix(e.Msg, want) {
				t.Errorf("Check(%s) message %q, want prefix %q", tc.addr, e.Msg, want)
			}
			if !strings.HasSuffix(e.Msg, "is not allowed") {
				t.Errorf("Check(%s) message %q does not say it is not allowed", tc.addr, e.Msg)
			}
		})
	}
}

func TestCheckMappedMessageNamesIPv4(t *testing.T) {
	err := Check(netip.MustParseAddr("::ffff:7f00:1"), nil)
	want := "loopback address ::ffff:127.0.0.1 (IPv4-mapped 127.0.0.1) is not allowed"
	if err == nil || err.(*Error).Msg != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestCheckAllow(t *testing.T) {
	allow, err := ParseAllow("127.0.0.1, 10.0.0.0/8,fd00::/8, 169.254.0.0/16, 100.100.100.200")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		addr    string
		allowed bool
	}{
		{"127.0.0.1", true},
		{"127.0.0.2", false},
		{"::ffff:127.0.0.1", true}, // the mapped form is the same address
		{"::1", false},
		{"10.9.8.7", true},
		{"64:ff9b::a09:807", true}, // NAT64 to an allowed IPv4 address
		{"172.16.0.1", false},
		{"fd12::1", true},
		{"fd00:ec2::254", false},   // metadata: a broad range does not open it
		{"169.254.1.1", true},      // the range opens ordinary link-local addresses
		{"169.254.169.254", false}, // but not the metadata address inside it
		{"100.100.100.200", true},  // named exactly
		{"8.8.8.8", true},          // public stays allowed
	}
	for _, tc := range cases {
		err := Check(netip.MustParseAddr(tc.addr), allow)
		if (err == nil) != tc.allowed {
			t.Errorf("Check(%s) with allow = %v, want allowed=%v", tc.addr, err, tc.allowed)
		}
	}
	everything, _ := ParseAllow("0.0.0.0/0,::/0")
	if err := Check(netip.MustParseAddr("169.254.169.254"), everything); err == nil {
		t.Error("0.0.0.0/0 opened the metadata address")
	}
	if err := Check(netip.MustParseAddr("192.168.0.1"), everything); err != nil {
		t.Errorf("0.0.0.0/0 did not open 192.168.0.1: %v", err)
	}
	if err := Check(netip.Addr{}, nil); err == nil {
		t.Error("the zero address was allowed")
	}
}

func TestParseAllow(t *testing.T) {
	got, err := ParseAllow(" 10.1.2.3/8 , ,192.168.1.5,fd00::/8,::1,")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.5/32", "fd00::/8", "::1/128"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("entry %d = %s, want %s", i, got[i], want[i])
		}
	}
	if got, err := ParseAllow(""); err != nil || got != nil {
		t.Errorf("empty: %v, %v", got, err)
	}

	bad := []struct{ in, entry string }{
		{"10.0.0.0/8,10.0.0.0/33", `entry 2 "10.0.0.0/33"`},
		{"example.com", `entry 1 "example.com"`},
		{"127.0.0.1,2130706433", `entry 2 "2130706433"`},
		{"fe80::1%eth0", `entry 1 "fe80::1%eth0"`},
		{"::ffff:10.0.0.0/104", `entry 1 "::ffff:10.0.0.0/104"`},
		{"10.0.0.0/", `entry 1 "10.0.0.0/"`},
	}
	for _, tc := range bad {
		_, err := ParseAllow(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.entry) {
			t.Errorf("ParseAllow(%q) = %v, want an error naming %s", tc.in, err, tc.entry)
		}
	}
}

func TestParseHostIP(t *testing.T) {
	cases := []struct {
		host string
		want string // "" when not an address; "!" when invalid
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"2130706433", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"0X7F000001", "127.0.0.1"},
		{"017700000001", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"0177.0.0.01", "127.0.0.1"},
		{"0x7f.0x0.0x0.0x1", "127.0.0.1"},
		{"127.0.0.1.", "127.0.0.1"},
		{"0", "0.0.0.0"},
		{"0x", "0.0.0.0"},
		{"10.0x10000", "10.1.0.0"},
		{"169.254.43518", "169.254.169.254"},
		{"::ffff:7f00:1", "::ffff:127.0.0.1"},
		{"example.com", ""},
		{"localhost", ""},
		{"1.2.3.example", ""},
		{"0x7f.example", ""},
		{"256.0.0.1", "!"},
		{"1.2.3.256", "!"},
		{"1.2.3.4.5", "!"},
		{"4294967296", "!"},
		{"08.0.0.1", "!"},
		{"0xg.0.0.1", "!"}, // the last label is a number, so the host must be an address
		{"example.123", "!"},
		{"1.2.0x", "1.2.0.0"},
		{"99999999999999999999999", "!"},
	}
	for _, tc := range cases {
		a, isIP, err := parseHostIP(tc.host)
		switch tc.want {
		case "":
			if isIP || err != nil {
				t.Errorf("parseHostIP(%q) = %v, %v, %v; want a name", tc.host, a, isIP, err)
			}
		case "!":
			if !isIP || err == nil {
				t.Errorf("parseHostIP(%q) = %v, %v, %v; want invalid address", tc.host, a, isIP, err)
			}
		default:
			if !isIP || err != nil || a.String() != tc.want {
				t.Errorf("parseHostIP(%q) = %v, %v, %v; want %s", tc.host, a, isIP, err, tc.want)
			}
		}
	}
}
