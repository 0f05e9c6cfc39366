package load

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	tail := " 0 0 0 0 0 0 0 0 20 0 4 0 123456 1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
	tests := []struct {
		name    string
		stat    string
		want    CPUTime
		wantErr string
	}{
		{"plain", "4242 (hookline) S 1 4242 4242 0 -1 4194560 1524 0 0 0 250 37" + tail,
			CPUTime{User: 2500 * time.Millisecond, System: 370 * time.Millisecond}, ""},
		{"name with spaces and parentheses", "7 (my (odd) name) R 1 7 7 0 -1 0 0 0 0 0 3 4" + tail,
			CPUTime{User: 30 * time.Millisecond, System: 40 * time.Millisecond}, ""},
		{"zero", "1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0" + tail, CPUTime{}, ""},
		{"trailing newline", "9 (x) S 1 9 9 0 -1 0 0 0 0 0 1 2\n", CPUTime{User: 10 * time.Millisecond, System: 20 * time.Millisecond}, ""},
		{"no name", "4242 hookline S 1", CPUTime{}, "no command name"},
		{"truncated", "4242 (hookline) S 1 4242 4242 0 -1 4194560 1524 0 0 0 250", CPUTime{}, "12 fields after the command name"},
		{"utime not a number", "4242 (hookline) S 1 4242 4242 0 -1 4194560 1524 0 0 0 x 37" + tail, CPUTime{}, `utime "x"`},
		{"stime negative", "4242 (hookline) S 1 4242 4242 0 -1 4194560 1524 0 0 0 1 -37" + tail, CPUTime{}, `stime "-37"`},
		{"empty", "", CPUTime{}, "no command name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProcStat([]byte(tc.stat))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestReadProcessCPUSelf reads this test process's own CPU time, which
// grows while it spins.
func TestReadProcessCPUSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	before, err := ReadProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		after, err := ReadProcessCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if after.Total() > before.Total() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time did not grow in a second of spinning: %+v", after)
		}
	}
}

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name, status string
		want         int64
		wantErr      string
	}{
		{"plain", "Name:\thookline\nVmPeak:\t  900000 kB\nVmRSS:\t   35120 kB\nRssAnon:\t 20000 kB\n", 35120 << 10, ""},
		{"last line", "Name:\tx\nVmRSS: 4 kB", 4 << 10, ""},
		{"exited", "Name:\tx\nState:\tZ (zombie)\n", 0, "no VmRSS line"},
		{"other unit", "VmRSS:\t35 MB\n", 0, "want a number of kB"},
		{"not a number", "VmRSS:\tlots kB\n", 0, `"lots" is not a number`},
		{"negative", "VmRSS:\t-4 kB\n", 0, "is not a number"},
		{"empty", "", 0, "no VmRSS line"},
	}
	for _, tc := range tests {
		got, err := ParseVmRSS([]byte(tc.status))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
}

// TestReadProcessRSSSelf reads this process's resident set, which holds
// at least a buffer it has just written to.
func TestReadProcessRSSSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	buf := make([]byte, 8<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	rss, err := ReadProcessRSS(os.Getpid())
	if err != nil || rss < int64(len(buf)) {
		t.Fatalf("RSS %d, %v with an 8 MiB buffer in use", rss, err)
	}
	if buf[len(buf)-1] != byte(len(buf)-1) {
		t.Fatal("the buffer changed")
	}
	if _, err := ReadProcessRSS(1 << 30); err == nil {
		t.Fatal("the RSS of a process that does not exist was read")
	}
}
