package stix

import (
	"fmt"
	"strings"
)

// This file checks STIX patterns (STIX 2.1 §9) at a structural level and
// collects the string literals they compare against. It follows the shape
// of the grammar — observation expressions in brackets joined by AND, OR
// and FOLLOWEDBY, with qualifiers; comparisons "object-type:path OP value"
// joined by AND and OR inside the brackets — without checking that object
// paths name real properties or that operators suit their operands.

// patternError is a problem found in a pattern, at a byte offset.
type patternError struct {
	off int
	msg string
}

func (e *patternError) Error() string { return fmt.Sprintf("%s (at offset %d)", e.msg, e.off) }

type tokKind uint8

const (
	tEOF    tokKind = iota
	tLBrack         // [
	tRBrack         // ]
	tLParen         // (
	tRParen         // )
	tColon          // :
	tDot            // .
	tComma          // ,
	tStar           // *
	tOp             // = != < <= > >=
	tWord           // identifiers and keywords
	tNumber
	tString // '...', with prefix 0, 't', 'b' or 'h'
)

type token struct {
	kind   tokKind
	off    int
	text   string // word, number or operator text; unescaped string body
	prefix byte   // for tString: 0, 't', 'b' or 'h'
}

// lexPattern splits a pattern into tokens.
func lexPattern(p string) ([]token, *patternError) {
	toks := make([]token, 0, 16)
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.IndexByte(punctuation, c) >= 0:
			toks = append(toks, token{kind: tokKind(1 + strings.IndexByte(punctuation, c)), off: i})
			i++
		case c == '=' || c == '!' || c == '<' || c == '>':
			n := 1
			if c != '=' && i+1 < len(p) && p[i+1] == '=' {
				n = 2 // != <= >=
			}
			op := p[i : i+n]
			if op == "!" {
				return nil, &patternError{i, "'!' must be followed by '='"}
			}
			toks = append(toks, token{kind: tOp, off: i, text: op})
			i += n
		case c == '\'':
			tok, next, err := lexString(p, i, 0)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i = next
		case (c == 't' || c == 'b' || c == 'h') && i+1 < len(p) && p[i+1] == '\'':
			tok, next, err := lexString(p, i+1, c)
			if err != nil {
				return nil, err
			}
			tok.off = i
			toks = append(toks, tok)
			i = next
		case isDigit(c) || (c == '-' && i+1 < len(p) && isDigit(p[i+1])):
			j := i + 1
			for j < len(p) && (isDigit(p[j]) || (p[j] == '.' && j+1 < len(p) && isDigit(p[j+1]))) {
				j++
			}
			toks = append(toks, token{kind: tNumber, off: i, text: p[i:j]})
			i = j
		case isLower(c) || isUpper(c) || c == '_':
			j := i + 1
			for j < len(p) && (isLower(p[j]) || isUpper(p[j]) || isDigit(p[j]) || p[j] == '_' || p[j] == '-') {
				j++
			}
			toks = append(toks, token{kind: tWord, off: i, text: p[i:j]})
			i = j
		default:
			return nil, &patternError{i, fmt.Sprintf("unexpected character %q", c)}
		}
	}
	return append(toks, token{kind: tEOF, off: len(p)}), nil
}

// punctuation lists the one-character tokens in tokKind order (tLBrack..tStar).
const punctuation = "[]():.,*"

// lexString reads a quoted literal starting at the quote p[i]; the only
// escapes STIX allows are \' and \\.
func lexString(p string, i int, prefix byte) (token, int, *patternError) {
	// Without escapes the literal is a substring of the pattern.
	if end := strings.IndexByte(p[i+1:], '\''); end >= 0 && strings.IndexByte(p[i+1:i+1+end], '\\') < 0 {
		return token{kind: tString, off: i, text: p[i+1 : i+1+end], prefix: prefix}, i + 2 + end, nil
	}
	var b strings.Builder
	for j := i + 1; j < len(p); j++ {
		switch p[j] {
		case '\'':
			return token{kind: tString, off: i, text: b.String(), prefix: prefix}, j + 1, nil
		case '\\':
			if j+1 >= len(p) || (p[j+1] != '\'' && p[j+1] != '\\') {
				return token{}, 0, &patternError{j, `invalid escape in string literal (only \' and \\ are allowed)`}
			}
			j++
		}
		b.WriteByte(p[j])
	}
	return token{}, 0, &patternError{i, "unterminated string literal"}
}

// maxPatternDepth bounds parenthesis nesting in patterns.
const maxPatternDepth = 100

// patternParser walks the tokens of one pattern.
type patternParser struct {
	toks   []token
	i      int
	depth  int
	values []string
}

// lexAndParsePattern checks a STIX pattern and returns its tokens (for a
// caller that goes on to build its tree) and the plain (unprefixed) string
// literals on the right-hand side of its comparisons, in order, except LIKE
// and MATCHES patterns. Hex literals compared with a path through hashes
// are lowercased.
func lexAndParsePattern(p string) ([]token, []string, error) {
	toks, lerr := lexPattern(p)
	if lerr != nil {
		return nil, nil, fmt.Errorf("invalid STIX pattern: %w", lerr)
	}
	values, err := parseTokens(toks)
	return toks, values, err
}

// parseTokens checks a lexed pattern (it only reads toks).
func parseTokens(toks []token) ([]string, error) {
	ps := &patternParser{toks: toks}
	err := ps.observationExpr()
	if err == nil && ps.peek().kind != tEOF {
		err = ps.errorf("unexpected %s after the end of the pattern", ps.peek().describe())
	}
	if err != nil {
		return nil, fmt.Errorf("invalid STIX pattern: %w", err)
	}
	return ps.values, nil
}

func (ps *patternParser) peek() token { return ps.toks[ps.i] }
func (ps *patternParser) next() token {
	t := ps.toks[ps.i]
	if t.kind != tEOF {
		ps.i++
	}
	return t
}

func (ps *patternParser) errorf(format string, args ...any) *patternError {
	return &patternError{ps.peek().off, fmt.Sprintf(format, args...)}
}

func (ps *patternParser) isWord(words ...string) bool {
	t := ps.peek()
	if t.kind != tWord {
		return false
	}
	for _, w := range words {
		if t.text == w {
			return true
		}
	}
	return false
}

func (ps *patternParser) enter() *patternError {
	ps.depth++
	if ps.depth > maxPatternDepth {
		return ps.errorf("parentheses nested deeper than %d", maxPatternDepth)
	}
	return nil
}

// observationExpr := observation (("AND" | "OR" | "FOLLOWEDBY") observation)*
func (ps *patternParser) observationExpr() *patternError {
	for {
		if err := ps.observation(); err != nil {
			return err
		}
		if !ps.isWord("AND", "OR", "FOLLOWEDBY") {
			return nil
		}
		ps.next()
	}
}

// observation := ("[" comparisonExpr "]" | "(" observationExpr ")") qualifier*
func (ps *patternParser) observation() *patternError {
	switch t := ps.next(); t.kind {
	case tLBrack:
		if err := ps.comparisonExpr(); err != nil {
			return err
		}
		if ps.peek().kind != tRBrack {
			return ps.errorf("expected ']' to close the observation opened at offset %d, found %s", t.off, ps.peek().describe())
		}
		ps.next()
	case tLParen:
		if err := ps.enter(); err != nil {
			return err
		}
		if err := ps.observationExpr(); err != nil {
			return err
		}
		if ps.peek().kind != tRParen {
			return ps.errorf("expected ')' to close the '(' at offset %d, found %s", t.off, ps.peek().describe())
		}
		ps.next()
		ps.depth--
	default:
		return &patternError{t.off, fmt.Sprintf("expected '[' to start an observation expression, found %s", t.describe())}
	}
	return ps.qualifiers()
}

// qualifiers := ("WITHIN" number "SECONDS" | "REPEATS" number "TIMES" |
// "START" t'...' "STOP" t'...')*
func (ps *patternParser) qualifiers() *patternError {
	for {
		var err *patternError
		switch {
		case ps.isWord("WITHIN"):
			err = ps.qualifier(tNumber, 0, "a number", "SECONDS")
		case ps.isWord("REPEATS"):
			err = ps.qualifier(tNumber, 0, "a number", "TIMES")
		case ps.isWord("START"):
			if err = ps.qualifier(tString, 't', "a t'...' timestamp", "STOP"); err == nil {
				err = ps.expectTimestamp()
			}
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// qualifier consumes a keyword, its argument and the closing keyword.
func (ps *patternParser) qualifier(arg tokKind, prefix byte, argName, closing string) *patternError {
	kw := ps.next()
	if t := ps.next(); t.kind != arg || t.prefix != prefix {
		return &patternError{t.off, fmt.Sprintf("%s must be followed by %s", kw.text, argName)}
	}
	if !ps.isWord(closing) {
		return ps.errorf("expected %s in the %s qualifier, found %s", closing, kw.text, ps.peek().describe())
	}
	ps.next()
	return nil
}

func (ps *patternParser) expectTimestamp() *patternError {
	if t := ps.next(); t.kind != tString || t.prefix != 't' {
		return &patternError{t.off, "STOP must be followed by a t'...' timestamp"}
	}
	return nil
}

// comparisonExpr := comparison (("AND" | "OR") comparison)*
func (ps *patternParser) comparisonExpr() *patternError {
	for {
		if err := ps.comparison(); err != nil {
			return err
		}
		if !ps.isWord("AND", "OR") {
			return nil
		}
		ps.next()
	}
}

// comparison := "(" comparisonExpr ")" | "EXISTS" path | path ["NOT"] op value
func (ps *patternParser) comparison() *patternError {
	if t := ps.peek(); t.kind == tLParen {
		ps.next()
		if err := ps.enter(); err != nil {
			return err
		}
		if err := ps.comparisonExpr(); err != nil {
			return err
		}
		if ps.peek().kind != tRParen {
			return ps.errorf("expected ')' to close the '(' at offset %d, found %s", t.off, ps.peek().describe())
		}
		ps.next()
		ps.depth--
		return nil
	}
	if ps.isWord("EXISTS") {
		ps.next()
		_, err := ps.objectPath()
		return err
	}
	hashes, err := ps.objectPath()
	if err != nil {
		return err
	}
	if ps.isWord("NOT") {
		ps.next()
	}
	return ps.operatorAndValue(hashes)
}

// objectPath := object-type ":" step ("." step | "[" (number | "*") "]")*,
// where a step is a property name or a quoted key. It reports whether the
// path goes through a hashes dictionary.
func (ps *patternParser) objectPath() (hashes bool, err *patternError) {
	t := ps.next()
	if t.kind != tWord {
		return false, &patternError{t.off, fmt.Sprintf("expected an object path such as ipv4-addr:value, found %s", t.describe())}
	}
	if p := typeNameProblem(t.text); p != "" {
		return false, &patternError{t.off, fmt.Sprintf("object type %q in object path %s", t.text, p)}
	}
	if ps.peek().kind != tColon {
		return false, ps.errorf("object path must be <object-type>:<property>, found %s after %q", ps.peek().describe(), t.text)
	}
	ps.next()
	for {
		step := ps.next()
		if (step.kind != tWord && step.kind != tString) || step.prefix != 0 {
			return false, &patternError{step.off, fmt.Sprintf("expected a property name in the object path, found %s", step.describe())}
		}
		hashes = hashes || step.text == "hashes"
		if err := ps.listIndexes(); err != nil {
			return false, err
		}
		if ps.peek().kind != tDot {
			return hashes, nil
		}
		ps.next()
	}
}

// listIndexes consumes "[N]" or "[*]" list steps of an object path.
func (ps *patternParser) listIndexes() *patternError {
	for ps.peek().kind == tLBrack {
		ps.next()
		if t := ps.next(); t.kind != tNumber && t.kind != tStar {
			return &patternError{t.off, "a list index in an object path must be a number or *"}
		}
		if t := ps.next(); t.kind != tRBrack {
			return &patternError{t.off, "expected ']' to close the list index"}
		}
	}
	return nil
}

// operatorAndValue := op literal | "IN" "(" literal ("," literal)* ")" |
// ("LIKE" | "MATCHES" | "ISSUBSET" | "ISSUPERSET") literal
//
// The right-hand side of LIKE and MATCHES is a wildcard or regular
// expression, not an observable value, so it is not collected.
func (ps *patternParser) operatorAndValue(hashes bool) *patternError {
	t := ps.next()
	switch {
	case t.kind == tOp:
	case t.kind == tWord && t.text == "IN":
		return ps.set(hashes)
	case t.kind == tWord && (t.text == "LIKE" || t.text == "MATCHES"):
		n := len(ps.values)
		err := ps.literal(hashes)
		ps.values = ps.values[:n]
		return err
	case t.kind == tWord && (t.text == "ISSUBSET" || t.text == "ISSUPERSET"):
	default:
		return &patternError{t.off, fmt.Sprintf("expected a comparison operator (=, !=, <, <=, >, >=, LIKE, MATCHES, IN, ISSUBSET, ISSUPERSET), found %s", t.describe())}
	}
	return ps.literal(hashes)
}

func (ps *patternParser) set(hashes bool) *patternError {
	if t := ps.next(); t.kind != tLParen {
		return &patternError{t.off, "IN must be followed by a parenthesised list of values"}
	}
	for {
		if err := ps.literal(hashes); err != nil {
			return err
		}
		switch t := ps.next(); t.kind {
		case tComma:
		case tRParen:
			return nil
		default:
			return &patternError{t.off, fmt.Sprintf("expected ',' or ')' in the IN list, found %s", t.describe())}
		}
	}
}

// literal := string | number | true | false
func (ps *patternParser) literal(hashes bool) *patternError {
	t := ps.next()
	switch {
	case t.kind == tString:
		if t.prefix == 0 {
			v := t.text
			if hashes {
				v = normHash(v)
			}
			ps.values = append(ps.values, v)
		}
	case t.kind == tNumber, t.kind == tWord && (t.text == "true" || t.text == "false"):
	default:
		return &patternError{t.off, fmt.Sprintf("expected a value (a quoted string, number or boolean), found %s", t.describe())}
	}
	return nil
}

// describe names a token for error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "the end of the pattern"
	case tString:
		return "a string literal"
	case tWord, tNumber, tOp:
		return fmt.Sprintf("%q", t.text)
	}
	return fmt.Sprintf("'%c'", punctuation[t.kind-1])
}
