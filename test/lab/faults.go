package main

// Fault hooks that make a cluster's kube-apiserver answer slowly or not at
// all, without killing it: SIGSTOP freezes the process (the kernel still
// accepts TCP connections into the listen backlog, so a client connects and
// then waits, as with a hung or overloaded server), SIGCONT lets it go on.
// Only the PID the lab recorded is signalled, after checking that its
// command line names the lab directory (see ours()).

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func pausedMarker(st *State, c *Cluster) string { return st.path(c, "kube-apiserver.paused") }

func apiserverPid(st *State, c *Cluster) (int, error) {
	pid, ok := st.alive(componentPidfile(st, c, "kube-apiserver"))
	if !ok {
		return 0, fmt.Errorf("%s kube-apiserver is not running", c.Name)
	}
	return pid, nil
}

// pauseAPIServer stops the process (SIGSTOP) and leaves a marker so that
// `up` and `down` know to continue it.
func pauseAPIServer(st *State, c *Cluster) error {
	pid, err := apiserverPid(st, c)
	if err != nil {
		return err
	}
	if err := os.WriteFile(pausedMarker(st, c), []byte("paused\n"), 0o644); err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return err
	}
	progress("%s kube-apiserver paused (pid %d, SIGSTOP)", c.Name, pid)
	return nil
}

func resumeAPIServer(st *State, c *Cluster) error {
	defer os.Remove(pausedMarker(st, c))
	pid, err := apiserverPid(st, c)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		return err
	}
	progress("%s kube-apiserver resumed (pid %d, SIGCONT)", c.Name, pid)
	return nil
}

// slowAPIServer runs in the foreground: every `period` it stops the
// apiserver for `stopped`, then continues it, until `total` has passed or it
// is told to stop (SIGINT/SIGTERM). It always leaves the process running.
func slowAPIServer(st *State, c *Cluster, stopped, period, total time.Duration) error {
	if stopped <= 0 || period <= stopped || total <= 0 {
		return fmt.Errorf("need 0 < --stopped < --period and --for > 0")
	}
	pid, err := apiserverPid(st, c)
	if err != nil {
		return err
	}
	if err := os.WriteFile(pausedMarker(st, c), []byte("slow\n"), 0o644); err != nil {
		return err
	}
	defer os.Remove(pausedMarker(st, c))
	defer func() {
		if ours(pid, st.Dir) { // it may have been stopped meanwhile (stop-apiserver)
			syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	quit := make(chan os.Signal, 1)
	signal.Notify(quit, syscall.SIGINT, syscall.SIGTERM)
	progress("%s kube-apiserver slowed (pid %d): stopped %s of every %s for %s", c.Name, pid, stopped, period, total)
	end := time.Now().Add(total)
	cycles := 0
	for time.Now().Before(end) {
		if !ours(pid, st.Dir) {
			progress("%s kube-apiserver (pid %d) exited; slowing ended after %d cycles", c.Name, pid, cycles)
			return nil
		}
		syscall.Kill(pid, syscall.SIGSTOP)
		select {
		case <-quit:
			progress("%s kube-apiserver: slowing ended by signal after %d cycles", c.Name, cycles)
			return nil
		case <-time.After(stopped):
		}
		syscall.Kill(pid, syscall.SIGCONT)
		cycles++
		select {
		case <-quit:
			progress("%s kube-apiserver: slowing ended by signal after %d cycles", c.Name, cycles)
			return nil
		case <-time.After(period - stopped):
		}
	}
	progress("%s kube-apiserver: slowing ended after %d cycles", c.Name, cycles)
	return nil
}

// continueIfPaused undoes pause-apiserver (used by `up`).
func continueIfPaused(st *State, c *Cluster) {
	if _, err := os.Stat(pausedMarker(st, c)); err != nil {
		return
	}
	if pid, ok := st.alive(componentPidfile(st, c, "kube-apiserver")); ok {
		syscall.Kill(pid, syscall.SIGCONT)
	}
	os.Remove(pausedMarker(st, c))
}
