package main

// Calico's logrus formatter, as described in /work/notes/typha-facts.md:
//
//	<ts> [<LEVEL>][<pid>] <component>/<file.go> <line>: <message>[ k=v...]
//
// ts is "2006-01-02 15:04:05.000" (UTC, no zone); fields are sorted byte-wise
// by key; a string value is strconv.Quote'd, an error value is written as its
// Error() text unquoted, a fmt.Stringer as its String() unquoted, anything
// else with %#v.

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type field struct {
	k string
	v interface{}
}

func F(k string, v interface{}) field { return field{k, v} }

// errText is an error whose text is written unquoted (logrus WithError).
type errText string

func (e errText) Error() string { return string(e) }

// rawText is written as is (a fmt.Stringer in the real code, e.g. a model key).
type rawText string

func (r rawText) String() string { return string(r) }

type logger struct {
	mu   sync.Mutex
	w    io.Writer
	comp string // "typha" or "kube-controllers"
	pid  int
}

func newLogger(comp string) *logger {
	return &logger{w: os.Stdout, comp: comp, pid: os.Getpid()}
}

func fmtValue(v interface{}) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprintf("%#v", x)
	}
}

func formatLine(ts time.Time, level string, pid int, comp, file string, line int, msg string, fs []field) string {
	var b strings.Builder
	b.WriteString(ts.UTC().Format("2006-01-02 15:04:05.000"))
	fmt.Fprintf(&b, " [%s][%d] ", level, pid)
	if comp != "" {
		b.WriteString(comp)
		b.WriteByte('/')
	}
	fmt.Fprintf(&b, "%s %d: %s", file, line, msg)
	if len(fs) > 0 {
		sorted := append([]field(nil), fs...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].k < sorted[j].k })
		for _, f := range sorted {
			b.WriteByte(' ')
			b.WriteString(f.k)
			b.WriteByte('=')
			b.WriteString(fmtValue(f.v))
		}
	}
	b.WriteByte('\n')
	return b.String()
}

func (l *logger) log(level, file string, line int, msg string, fs ...field) {
	// The time is taken under the lock so that a file's lines are in time
	// order (the fake kubelet's sinceTime relies on it).
	l.mu.Lock()
	io.WriteString(l.w, formatLine(time.Now(), level, l.pid, l.comp, file, line, msg, fs))
	l.mu.Unlock()
}

func (l *logger) info(file string, line int, msg string, fs ...field) {
	l.log("INFO", file, line, msg, fs...)
}
func (l *logger) warn(file string, line int, msg string, fs ...field) {
	l.log("WARNING", file, line, msg, fs...)
}
func (l *logger) errorf(file string, line int, msg string, fs ...field) {
	l.log("ERROR", file, line, msg, fs...)
}
