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
