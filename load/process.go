package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// startTimeout bounds how long a child may take to listen (and hookline
// to be ready): a first start migrates a fresh database.
const startTimeout = 60 * time.Second

// process is a child server process. Its output goes to a log file in the
// run's directory rather than through a pipe, so that hookline's log line
// per request costs the load generator nothing to drain.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	addr    string
	exited  chan struct{}
	waitErr error
}

// startProcess runs exe with args and env, writing its output to
// <dir>/<name>.log. Unless addr is set (the caller chose the port), it
// waits until the child logs {"msg":"listening","addr":...}.
func startProcess(ctx context.Context, dir, name, exe string, args, env []string, addr string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(exe, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if addr != "" {
		p.addr = addr
		return p, nil
	}
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for {
		if addr := listeningAddr(logPath); addr != "" {
			p.addr = addr
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before listening (%v); its output:\n%s", name, p.waitErr, p.tail())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-deadline.C:
			p.stop()
			return nil, fmt.Errorf("%s did not listen within %s; its output:\n%s", name, startTimeout, p.tail())
		case <-poll.C:
		}
	}
}

// listeningAddr finds the address in the first "listening" log line.
func listeningAddr(logPath string) string {
	f, err := os.Open(logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, []byte(`"listening"`)) {
			continue
		}
		var entry struct{ Msg, Addr string }
		if json.Unmarshal(line, &entry) == nil && entry.Msg == "listening" && entry.Addr != "" {
			return entry.Addr
		}
	}
	return ""
}

// URL is the child's base URL.
func (p *process) URL() string { return "http://" + p.addr }

// PID is the child's process id.
func (p *process) PID() int { return p.cmd.Process.Pid }

// tail returns the end of the child's output, for error messages.
func (p *process) tail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	const max = 4 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return strings.TrimSpace(string(b))
}

// stop sends SIGTERM, waits up to 15 seconds for a graceful exit (hookline
// finishes its in-flight requests), then kills.
func (p *process) stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within 15s of SIGTERM and was killed", p.name)
	}
}

// waitReady polls base+"/readyz" until it answers 200; p, when not nil,
// is the server's process, whose exit ends the wait at once.
func waitReady(ctx context.Context, base string, p *process) error {
	client := &http.Client{Transport: newLoopbackTransport(1), Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return err
		}
		res, err := client.Do(req)
		if err == nil {
			discard(res)
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("%s/readyz did not answer 200 within %s (last: %v)", base, startTimeout, err)
			if p != nil {
				msg += "; the server's output:\n" + p.tail()
			}
			return errors.New(msg)
		}
		var exited chan struct{}
		if p != nil {
			exited = p.exited
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited before it was ready (%v); its output:\n%s", p.name, p.waitErr, p.tail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// freeLoopbackAddr picks a free port on 127.0.0.1 for a child to listen
// on. hookline logs its address only at log level info, so the port is
// chosen here to serve at any level; another process taking the port in
// between makes the start fail with a clear error rather than measure the
// wrong server.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}
