package main

// Calico's label-selector language, as the federated-services controller
// parses the federation.tigera.io/serviceSelector annotation. The grammar was
// read from libcalico-go/lib/selector/tokenizer/tokenizer.go and
// libcalico-go/lib/selector/parser/{parser,ast}.go (see README, "Federated
// services"); this is the lab's own implementation of it.
//
//	expr   := and ( "||" and )*
//	and    := op ( "&&" op )*
//	op     := "!"* ( has(L) | all() | global() | "(" expr ")"
//	              | L == S | L != S | L contains S | L starts with S | L ends with S
//	              | L in { S, ... } | L not in { S, ... } )
//
// L is a label made of [A-Za-z0-9_./-]; S a string in '...' or "..." (no
// escapes); spaces and tabs separate tokens. An empty selector selects all.

import (
	"errors"
	"fmt"
	"strings"
)

type selector interface {
	eval(labels map[string]string) bool
}

type (
	selAll   struct{}
	selHas   struct{ label string }
	selNot   struct{ x selector }
	selAnd   []selector
	selOr    []selector
	selCmp   struct{ label, op, value string } // op: == != contains starts ends
	selInSet struct {
		label string
		set   map[string]bool
		not   bool
	}
)

func (selAll) eval(map[string]string) bool     { return true }
func (s selHas) eval(l map[string]string) bool { _, ok := l[s.label]; return ok }
func (s selNot) eval(l map[string]string) bool { return !s.x.eval(l) }
func (s selAnd) eval(l map[string]string) bool {
	for _, x := range s {
		if !x.eval(l) {
			return false
		}
	}
	return true
}
func (s selOr) eval(l map[string]string) bool {
	for _, x := range s {
		if x.eval(l) {
			return true
		}
	}
	return false
}

// A comparison with an absent label: ==, contains, starts/ends with are
// false; != is true (as Calico's AST evaluates them).
func (s selCmp) eval(l map[string]string) bool {
	v, ok := l[s.label]
	if !ok {
		return s.op == "!="
	}
	switch s.op {
	case "==":
		return v == s.value
	case "!=":
		return v != s.value
	case "contains":
		return strings.Contains(v, s.value)
	case "starts":
		return strings.HasPrefix(v, s.value)
	case "ends":
		return strings.HasSuffix(v, s.value)
	}
	return false
}

// in: false for an absent label; not in: true for an absent label.
func (s selInSet) eval(l map[string]string) bool {
	v, ok := l[s.label]
	if !ok {
		return s.not
	}
	return s.set[v] != s.not
}

type tokKind int

const (
	tEOF tokKind = iota
	tLabel
	tString
	tLBrace
	tRBrace
	tComma
	tEq
	tNe
	tNot
	tIn
	tNotIn
	tContains
	tStarts
	tEnds
	tHas
	tAll
	tGlobal
	tLParen
	tRParen
	tAnd
	tOr
)

type tok struct {
	kind tokKind
	val  string
}

func isLabelChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-'
}

func skipBlanks(s string) string { return strings.TrimLeft(s, " \t") }

// word cuts the keyword w (and, for a two-word operator, the following
// words) from s when it ends at a word boundary.
func word(s string, ws ...string) (string, bool) {
	rest := s
	for i, w := range ws {
		if i > 0 {
			rest = skipBlanks(rest)
		}
		if !strings.HasPrefix(rest, w) {
			return s, false
		}
		rest = rest[len(w):]
	}
	if rest != "" && isLabelChar(rest[0]) {
		return s, false
	}
	return rest, true
}

func cutLabel(s string) (string, string, error) {
	i := 0
	for i < len(s) && isLabelChar(s[i]) {
		i++
	}
	if i == 0 {
		return "", s, errors.New("expected identifier")
	}
	if i > 512 {
		return "", s, fmt.Errorf("label too long: %s", s[:i])
	}
	return s[:i], s[i:], nil
}

func tokenize(s string) ([]tok, error) {
	var out []tok
	for {
		s = skipBlanks(s)
		if s == "" {
			return append(out, tok{kind: tEOF}), nil
		}
		afterLabel := len(out) > 0 && out[len(out)-1].kind == tLabel
		switch c := s[0]; {
		case c == '(':
			out, s = append(out, tok{kind: tLParen}), s[1:]
		case c == ')':
			out, s = append(out, tok{kind: tRParen}), s[1:]
		case c == '{':
			out, s = append(out, tok{kind: tLBrace}), s[1:]
		case c == '}':
			out, s = append(out, tok{kind: tRBrace}), s[1:]
		case c == ',':
			out, s = append(out, tok{kind: tComma}), s[1:]
		case c == '"' || c == '\'':
			end := strings.IndexByte(s[1:], c)
			if end < 0 {
				return nil, errors.New("unterminated string")
			}
			out = append(out, tok{tString, s[1 : 1+end]})
			s = s[end+2:]
		case strings.HasPrefix(s, "=="):
			out, s = append(out, tok{kind: tEq}), s[2:]
		case c == '=':
			return nil, errors.New("expected ==")
		case strings.HasPrefix(s, "!="):
			out, s = append(out, tok{kind: tNe}), s[2:]
		case c == '!':
			out, s = append(out, tok{kind: tNot}), s[1:]
		case strings.HasPrefix(s, "&&"):
			out, s = append(out, tok{kind: tAnd}), s[2:]
		case c == '&':
			return nil, errors.New("expected &&")
		case strings.HasPrefix(s, "||"):
			out, s = append(out, tok{kind: tOr}), s[2:]
		case c == '|':
			return nil, errors.New("expected ||")
		case afterLabel:
			// After a label only an operator word may follow.
			var ok bool
			ops := []struct {
				k  tokKind
				ws []string
			}{{tContains, []string{"contains"}}, {tStarts, []string{"starts", "with"}}, {tEnds, []string{"ends", "with"}},
				{tNotIn, []string{"not", "in"}}, {tIn, []string{"in"}}}
			for _, op := range ops {
				if rest, found := word(s, op.ws...); found {
					out, s, ok = append(out, tok{kind: op.k}), rest, true
					break
				}
			}
			if !ok {
				return nil, fmt.Errorf("expected operator after label %q", out[len(out)-1].val)
			}
		case strings.HasPrefix(s, "has("):
			l, rest, err := cutLabel(skipBlanks(s[4:]))
			if err != nil {
				return nil, err
			}
			rest = skipBlanks(rest)
			if !strings.HasPrefix(rest, ")") {
				return nil, errors.New("no closing ')' after has(")
			}
			out, s = append(out, tok{tHas, l}), rest[1:]
		case strings.HasPrefix(s, "all("), strings.HasPrefix(s, "global("):
			k, n := tAll, 4
			if c == 'g' {
				k, n = tGlobal, 7
			}
			rest := skipBlanks(s[n:])
			if !strings.HasPrefix(rest, ")") {
				return nil, fmt.Errorf("no closing ')' after %s", s[:n])
			}
			out, s = append(out, tok{kind: k}), rest[1:]
		default:
			l, rest, err := cutLabel(s)
			if err != nil {
				return nil, err
			}
			out, s = append(out, tok{tLabel, l}), rest
		}
	}
}

// parseSelector parses a Calico selector; "" (or blanks) selects everything.
func parseSelector(s string) (selector, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == tEOF {
		return selAll{}, nil
	}
	x, rest, err := parseOr(toks)
	if err != nil {
		return nil, err
	}
	if rest[0].kind != tEOF {
		return nil, errors.New("unexpected content at end of selector")
	}
	return x, nil
}

func parseOr(t []tok) (selector, []tok, error) {
	var parts selOr
	for {
		x, rest, err := parseAnd(t)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, x)
		if rest[0].kind != tOr {
			if len(parts) == 1 {
				return parts[0], rest, nil
			}
			return parts, rest, nil
		}
		t = rest[1:]
	}
}

func parseAnd(t []tok) (selector, []tok, error) {
	var parts selAnd
	for {
		x, rest, err := parseOp(t)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, x)
		if rest[0].kind != tAnd {
			if len(parts) == 1 {
				return parts[0], rest, nil
			}
			return parts, rest, nil
		}
		t = rest[1:]
	}
}

func parseOp(t []tok) (selector, []tok, error) {
	neg := false
	for t[0].kind == tNot {
		neg, t = !neg, t[1:]
	}
	var x selector
	switch t[0].kind {
	case tHas:
		x, t = selHas{t[0].val}, t[1:]
	case tAll, tGlobal: // global() matches everything here (no non-namespaced objects)
		x, t = selAll{}, t[1:]
	case tLParen:
		y, rest, err := parseOr(t[1:])
		if err != nil {
			return nil, nil, err
		}
		if rest[0].kind != tRParen {
			return nil, nil, errors.New("expected )")
		}
		x, t = y, rest[1:]
	case tLabel:
		if len(t) < 3 {
			return nil, nil, errors.New("unexpected end of string looking for op")
		}
		label := t[0].val
		cmp := map[tokKind]string{tEq: "==", tNe: "!=", tContains: "contains", tStarts: "starts", tEnds: "ends"}
		switch k := t[1].kind; {
		case cmp[k] != "":
			if t[2].kind != tString {
				return nil, nil, errors.New("expected string")
			}
			x, t = selCmp{label, cmp[k], t[2].val}, t[3:]
		case k == tIn || k == tNotIn:
			if t[2].kind != tLBrace {
				return nil, nil, errors.New("expected set literal")
			}
			set := map[string]bool{}
			t = t[3:]
			for t[0].kind == tString {
				set[t[0].val] = true
				t = t[1:]
				if t[0].kind != tComma {
					break
				}
				t = t[1:]
			}
			if t[0].kind != tRBrace {
				return nil, nil, errors.New("expected }")
			}
			x, t = selInSet{label, set, k == tNotIn}, t[1:]
		default:
			return nil, nil, fmt.Errorf("expected == or != after label %q", label)
		}
	default:
		return nil, nil, fmt.Errorf("unexpected token at %d", t[0].kind)
	}
	if neg {
		x = selNot{x}
	}
	return x, t, nil
}
