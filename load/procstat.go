package load

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicksPerSecond is Linux's USER_HZ, the unit of the CPU times in
// /proc/<pid>/stat. It is 100 on every architecture Go supports on Linux,
// and the standard library offers no sysconf to ask, so it is a constant.
const clockTicksPerSecond = 100

// CPUTime is the CPU a process has used, summed over all its threads.
type CPUTime struct {
	User   time.Duration
	System time.Duration
}

// Total is user plus system time.
func (c CPUTime) Total() time.Duration { return c.User + c.System }

// ParseProcStat reads utime and stime (fields 14 and 15) from the content
// of /proc/<pid>/stat. The second field, the command name, is in
// parentheses and may itself hold spaces and parentheses, so the fields
// are counted from the last closing parenthesis.
func ParseProcStat(stat []byte) (CPUTime, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return CPUTime{}, fmt.Errorf("proc stat: no command name in %q", truncate(stat))
	}
	// After the name come field 3 (state) onwards: utime is field 14, the
	// 12th after the name, and stime the 13th.
	fields := bytes.Fields(stat[end+1:])
	const utimeAt, stimeAt = 14 - 3, 15 - 3
	if len(fields) <= stimeAt {
		return CPUTime{}, fmt.Errorf("proc stat: %d fields after the command name, want at least %d", len(fields), stimeAt+1)
	}
	utime, err := strconv.ParseUint(string(fields[utimeAt]), 10, 64)
	if err != nil {
		return CPUTime{}, fmt.Errorf("proc stat: utime %q is not a number", fields[utimeAt])
	}
	stime, err := strconv.ParseUint(string(fields[stimeAt]), 10, 64)
	if err != nil {
		return CPUTime{}, fmt.Errorf("proc stat: stime %q is not a number", fields[stimeAt])
	}
	tick := time.Second / clockTicksPerSecond
	return CPUTime{User: time.Duration(utime) * tick, System: time.Duration(stime) * tick}, nil
}

// ReadProcessCPU reads the CPU time of process pid from /proc.
func ReadProcessCPU(pid int) (CPUTime, error) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return CPUTime{}, fmt.Errorf("read the CPU time of process %d: %w", pid, err)
	}
	return ParseProcStat(stat)
}

func truncate(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}

// ParseVmRSS reads the resident set size (the VmRSS line) from the
// content of /proc/<pid>/status, in bytes.
func ParseVmRSS(status []byte) (int64, error) {
	for _, line := range bytes.Split(status, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			return 0, fmt.Errorf("proc status: VmRSS %q: want a number of kB", truncate(rest))
		}
		kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil || kb < 0 {
			return 0, fmt.Errorf("proc status: VmRSS %q is not a number of kB", fields[0])
		}
		return kb << 10, nil
	}
	return 0, errors.New("proc status: no VmRSS line (a process that has exited has none)")
}

// ReadProcessRSS reads the resident set size of process pid from /proc,
// in bytes.
func ReadProcessRSS(pid int) (int64, error) {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read the memory of process %d: %w", pid, err)
	}
	rss, err := ParseVmRSS(status)
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	return rss, nil
}
