package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// proc is one measured gate process: when it started and ended, how it
// exited and its peak resident set (getrusage's ru_maxrss: KiB on Linux).
type proc struct {
	argv       []string
	start, end time.Time
	code       int
	maxRSSKiB  int64
	stderr     bytes.Buffer
	cmd        *exec.Cmd
}

// startProc starts argv with KUBECONFIG set to kubeconfig; its stdout is
// discarded, the tail of its stderr kept for the bench's own errors.
func startProc(kubeconfig string, argv ...string) (*proc, error) {
	p := &proc{argv: argv}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	p.cmd.Stderr = &p.stderr
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	return p, nil
}

func (p *proc) wait() {
	err := p.cmd.Wait()
	p.end = time.Now()
	p.code = p.cmd.ProcessState.ExitCode()
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		p.maxRSSKiB = ru.Maxrss
	}
	if err != nil && p.code < 0 {
		p.code = -1
	}
}

// failure describes a process that did not end the way the bench expects.
func (p *proc) failure() string {
	tail := strings.TrimSpace(p.stderr.String())
	if len(tail) > 2000 {
		tail = "..." + tail[len(tail)-2000:]
	}
	return fmt.Sprintf("%s exited %d: %s", strings.Join(p.argv, " "), p.code, tail)
}

// runAll starts every command at once and waits for them all.
func runAll(kubeconfig string, cmds [][]string) ([]*proc, error) {
	ps := make([]*proc, 0, len(cmds))
	for _, argv := range cmds {
		p, err := startProc(kubeconfig, argv...)
		if err != nil {
			for _, q := range ps {
				_ = q.cmd.Process.Kill()
				q.wait()
			}
			return nil, err
		}
		ps = append(ps, p)
	}
	done := make(chan struct{})
	for _, p := range ps {
		go func() { p.wait(); done <- struct{}{} }()
	}
	for range ps {
		<-done
	}
	return ps, nil
}
