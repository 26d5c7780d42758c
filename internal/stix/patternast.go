package stix

// This file turns a checked STIX pattern into a syntax tree for consumers
// that evaluate patterns (the detection matcher). It reuses the lexer of
// pattern.go and runs after lexAndParsePattern has accepted the pattern, so it
// never reports errors of its own and cannot change what validation accepts.

// PatternNodeKind says what a PatternNode is.
type PatternNodeKind uint8

// Kinds of pattern nodes.
const (
	// NodeObservationOp joins observation expressions with Op (AND, OR or
	// FOLLOWEDBY).
	NodeObservationOp PatternNodeKind = iota + 1
	// NodeObservation is one bracketed observation ([...]) or a
	// parenthesised observation expression, with its qualifiers; its only
	// child is the comparison expression (or the inner expression).
	NodeObservation
	// NodeComparisonOp joins comparisons inside one observation with Op
	// (AND or OR).
	NodeComparisonOp
	// NodeComparison is "object-type:path [NOT] op value(s)" or "EXISTS path".
	NodeComparison
)

// PatternNode is one node of a STIX pattern's syntax tree.
type PatternNode struct {
	Kind     PatternNodeKind
	Op       string         // AND, OR, FOLLOWEDBY for the *Op kinds
	Children []*PatternNode // operands, in order
	// Qualifiers of an observation, as keywords (WITHIN, REPEATS, START).
	Qualifiers []string

	// For comparisons:
	ObjectType string   // e.g. "ipv4-addr"
	Path       []string // property steps, e.g. ["hashes", "SHA-256"]; list steps as "[*]" or "[0]"
	Exists     bool     // EXISTS path
	Negated    bool     // NOT before the operator
	Operator   string   // =, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET
	Values     []PatternLiteral

	grouped bool // parenthesised: not merged into an enclosing run of its operator
}

// PatternLiteral is a constant on the right-hand side of a comparison.
type PatternLiteral struct {
	// Kind is "string", "timestamp" (t''), "binary" (b''), "hex" (h''),
	// "number" or "bool".
	Kind string
	Text string // unescaped string body, or the number or boolean as written
}

// ParsePattern checks a STIX pattern (STIX 2.1 §9) and returns its syntax
// tree. Errors are the same as publish-time validation reports.
func ParsePattern(p string) (*PatternNode, error) {
	toks, _, err := lexAndParsePattern(p)
	if err != nil {
		return nil, err
	}
	b := &treeBuilder{toks: toks}
	return b.observationExpr(), nil
}

// PatternTree returns the syntax tree of the object's STIX pattern (nil,
// nil when it has none, or one of another pattern type). It is
// ParsePattern(o.Pattern), spared the lexing and checking when Parse kept
// the pattern's tokens.
func (o *Object) PatternTree() (*PatternNode, error) {
	if o.Pattern == "" || o.PatternType != "stix" {
		return nil, nil
	}
	if o.patternToks == nil {
		return ParsePattern(o.Pattern)
	}
	b := &treeBuilder{toks: o.patternToks}
	return b.observationExpr(), nil
}

// treeBuilder builds the tree of a pattern lexAndParsePattern has accepted.
type treeBuilder struct {
	toks []token
	i    int
}

func (b *treeBuilder) peek() token { return b.toks[b.i] }
func (b *treeBuilder) next() token {
	t := b.toks[b.i]
	if t.kind != tEOF {
		b.i++
	}
	return t
}

func (b *treeBuilder) isWord(words ...string) (string, bool) {
	t := b.peek()
	if t.kind != tWord {
		return "", false
	}
	for _, w := range words {
		if t.text == w {
			return w, true
		}
	}
	return "", false
}

// joined builds operands joined by operators of increasing precedence
// (ops[0] binds loosest): STIX 2.1 §9 gives AND precedence over OR, and
// OR over FOLLOWEDBY. A run of one operator becomes one node.
func (b *treeBuilder) joined(kind PatternNodeKind, operand func() *PatternNode, ops ...string) *PatternNode {
	if len(ops) == 0 {
		return operand()
	}
	next := func() *PatternNode { return b.joined(kind, operand, ops[1:]...) }
	left := next()
	for {
		if _, ok := b.isWord(ops[0]); !ok {
			return left
		}
		b.next()
		right := next()
		if left.Kind == kind && left.Op == ops[0] && !left.grouped {
			left.Children = append(left.Children, right)
		} else {
			left = &PatternNode{Kind: kind, Op: ops[0], Children: []*PatternNode{left, right}}
		}
	}
}

func (b *treeBuilder) observationExpr() *PatternNode {
	return b.joined(NodeObservationOp, b.observation, "FOLLOWEDBY", "OR", "AND")
}

func (b *treeBuilder) observation() *PatternNode {
	n := &PatternNode{Kind: NodeObservation}
	if b.next().kind == tLBrack {
		n.Children = []*PatternNode{b.comparisonExpr()}
	} else {
		n.Children = []*PatternNode{b.observationExpr()}
	}
	b.next() // ] or )
	for {
		kw, ok := b.isWord("WITHIN", "REPEATS", "START")
		if !ok {
			return n
		}
		n.Qualifiers = append(n.Qualifiers, kw)
		b.next()
		b.next()
		b.next()
		if kw == "START" {
			b.next()
		}
	}
}

func (b *treeBuilder) comparisonExpr() *PatternNode {
	return b.joined(NodeComparisonOp, b.comparison, "OR", "AND")
}

func (b *treeBuilder) comparison() *PatternNode {
	if b.peek().kind == tLParen {
		b.next()
		n := b.comparisonExpr()
		b.next()
		n.grouped = true
		return n
	}
	n := &PatternNode{Kind: NodeComparison}
	if _, ok := b.isWord("EXISTS"); ok {
		b.next()
		n.Exists = true
		n.ObjectType, n.Path = b.objectPath()
		return n
	}
	n.ObjectType, n.Path = b.objectPath()
	if _, ok := b.isWord("NOT"); ok {
		b.next()
		n.Negated = true
	}
	op := b.next()
	n.Operator = op.text
	if op.text == "IN" {
		b.next() // (
		for {
			n.Values = append(n.Values, literalOf(b.next()))
			if b.next().kind == tRParen {
				break
			}
		}
		return n
	}
	n.Values = []PatternLiteral{literalOf(b.next())}
	return n
}

func (b *treeBuilder) objectPath() (string, []string) {
	typ := b.next().text
	b.next() // :
	var path []string
	for {
		path = append(path, b.next().text)
		for b.peek().kind == tLBrack {
			b.next()
			idx := b.next()
			if idx.kind == tStar {
				path = append(path, "[*]")
			} else {
				path = append(path, "["+idx.text+"]")
			}
			b.next()
		}
		if b.peek().kind != tDot {
			return typ, path
		}
		b.next()
	}
}

func literalOf(t token) PatternLiteral {
	switch {
	case t.kind == tNumber:
		return PatternLiteral{Kind: "number", Text: t.text}
	case t.kind == tWord:
		return PatternLiteral{Kind: "bool", Text: t.text}
	case t.prefix == 't':
		return PatternLiteral{Kind: "timestamp", Text: t.text}
	case t.prefix == 'b':
		return PatternLiteral{Kind: "binary", Text: t.text}
	case t.prefix == 'h':
		return PatternLiteral{Kind: "hex", Text: t.text}
	}
	return PatternLiteral{Kind: "string", Text: t.text}
}
