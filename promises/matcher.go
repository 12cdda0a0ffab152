package promises

import (
	"slices"
	"strings"
)

// op is the kind of test a matcher applies to one system-call argument.
type op uint8

// The argument tests of the rule model. Each compiles to a handful of
// classic-BPF instructions without arithmetic beyond AND.
const (
	// opEqual: arg == values[0].
	opEqual op = iota + 1
	// opMaskedEqual: arg & mask == values[0].
	opMaskedEqual
	// opBitsClear: arg & mask == 0.
	opBitsClear
	// opInSet: arg & mask is one of values.
	opInSet
	// opIsNull: the pointer arg is NULL (all 64 bits zero).
	opIsNull
)

// low32 is the mask of the half of an argument register an int-typed kernel
// parameter occupies.
const low32 = 0xffffffff

// matcher tests one argument of a system call.
//
// Width is deliberate: the kernel reads int and unsigned int parameters (and
// clone's flags, through lower_32_bits) from the low 32 bits of the register
// and ignores the rest, so testing the upper half would only reject callers
// that leave garbage there. Pointers and the exec cookie are compared in full
// (wide), because there every bit matters.
type matcher struct {
	arg    int      // index into seccomp_data.args
	name   string   // the parameter's name in the kernel prototype
	op     op       //
	mask   uint64   // for opMaskedEqual, opBitsClear, opInSet
	values []uint64 // for opEqual, opMaskedEqual, opInSet
	wide   bool     // test all 64 bits instead of the low 32
	self   bool     // opEqual against Options.SelfPID instead of values[0]

	// form, syms and aux say how the condition reads in the kernel
	// headers' symbols; text renders them, for -list only, so that
	// building the catalog formats nothing.
	form form
	syms []sym // the constants of the condition
	aux  []sym // the bits it ignores or forbids (fieldOneOf: the field, then those)
}

// form is the sentence a matcher's text follows; formNone has no text (the
// compiler's merged set tests).
type form uint8

const (
	formNone      form = iota
	formOneOf          // name in {syms}
	formMaskedOne      // name without aux in {syms}
	formEquals         // name == syms[0]
	formSelf           // name == own pid
	formHasAll         // name has syms[, not aux]
	formHasNone        // name without syms
	formSubsetOf       // name only syms
	formNull           // name == NULL
	formField          // name & aux[0] in {syms}, without aux[1:]
	formCookie         // name == cookie
)

// text is the condition in symbols.
func (m matcher) text() string {
	switch m.form {
	case formOneOf:
		return m.name + " in {" + symNames(m.syms, ", ") + "}"
	case formMaskedOne:
		return m.name + " without " + symNames(m.aux, "|") + " in {" + symNames(m.syms, ", ") + "}"
	case formEquals:
		return m.name + " == " + m.syms[0].name
	case formSelf:
		return m.name + " == own pid"
	case formHasAll:
		if len(m.aux) > 0 {
			return m.name + " has " + symNames(m.syms, "|") + ", not " + symNames(m.aux, "|")
		}
		return m.name + " has " + symNames(m.syms, "|")
	case formHasNone:
		return m.name + " without " + symNames(m.syms, "|")
	case formSubsetOf:
		return m.name + " only " + symNames(m.syms, "|")
	case formNull:
		return m.name + " == NULL"
	case formField:
		return m.name + " & " + m.aux[0].name + " in {" + symNames(m.syms, ", ") + "}, without " + symNames(m.aux[1:], "|")
	case formCookie:
		return m.name + " == cookie"
	}
	return ""
}

// condition is a conjunction of matchers; an empty condition always holds.
type condition []matcher

// sym is a named constant as the kernel headers spell it.
type sym struct {
	name  string
	value uint64
}

// symNames joins the names of syms with sep.
func symNames(syms []sym, sep string) string {
	names := make([]string, len(syms))
	for i, s := range syms {
		names[i] = s.name
	}
	return strings.Join(names, sep)
}

// symMask ORs the values of syms.
func symMask(syms []sym) uint64 {
	var m uint64
	for _, s := range syms {
		m |= s.value
	}
	return m
}

// oneOf matches when the 32-bit argument equals one of syms.
func oneOf(arg int, name string, syms ...sym) matcher {
	values := make([]uint64, len(syms))
	for i, s := range syms {
		values[i] = s.value
	}
	return matcher{arg: arg, name: name, op: opInSet, mask: low32, values: values,
		form: formOneOf, syms: syms}
}

// maskedOneOf matches when the 32-bit argument, with the bits in ignore
// cleared, equals one of syms.
func maskedOneOf(arg int, name string, ignore []sym, syms ...sym) matcher {
	m := oneOf(arg, name, syms...)
	m.mask = low32 &^ symMask(ignore)
	m.form, m.aux = formMaskedOne, ignore
	return m
}

// equals matches when the 32-bit argument equals s.
func equals(arg int, name string, s sym) matcher {
	return matcher{arg: arg, name: name, op: opEqual, values: []uint64{s.value},
		form: formEquals, syms: []sym{s}}
}

// equalsSelf matches when the 32-bit argument equals Options.SelfPID.
func equalsSelf(arg int, name string) matcher {
	return matcher{arg: arg, name: name, op: opEqual, values: []uint64{0}, self: true,
		form: formSelf}
}

// hasAll matches when the 32-bit argument has every bit of want set and no
// bit of forbid.
func hasAll(arg int, name string, want []sym, forbid []sym) matcher {
	return matcher{arg: arg, name: name, op: opMaskedEqual, mask: symMask(want) | symMask(forbid),
		values: []uint64{symMask(want)}, form: formHasAll, syms: want, aux: forbid}
}

// hasNone matches when the 32-bit argument has none of the bits in syms.
func hasNone(arg int, name string, syms ...sym) matcher {
	return matcher{arg: arg, name: name, op: opBitsClear, mask: symMask(syms),
		form: formHasNone, syms: syms}
}

// subsetOf matches when the 32-bit argument has no bit outside syms.
func subsetOf(arg int, name string, syms ...sym) matcher {
	return matcher{arg: arg, name: name, op: opBitsClear, mask: low32 &^ symMask(syms),
		form: formSubsetOf, syms: syms}
}

// isNull matches when the pointer argument is NULL.
func isNull(arg int, name string) matcher {
	return matcher{arg: arg, name: name, op: opIsNull, wide: true, form: formNull}
}

// match reports whether args satisfy m, with self as the caller's own pid.
func (m matcher) match(args [6]uint64, self uint32) bool {
	x := args[m.arg]
	if !m.wide {
		x &= low32
	}
	switch m.op {
	case opEqual:
		if m.self {
			return x == uint64(self)
		}
		return x == m.values[0]
	case opMaskedEqual:
		return x&m.mask == m.values[0]
	case opBitsClear:
		return x&m.mask == 0
	case opInSet:
		return slices.Contains(m.values, x&m.mask)
	case opIsNull:
		return x == 0
	}
	return false
}

// match reports whether args satisfy every matcher of c.
func (c condition) match(args [6]uint64, self uint32) bool {
	for _, m := range c {
		if !m.match(args, self) {
			return false
		}
	}
	return true
}

// String renders c for humans; "" for the empty condition.
func (c condition) String() string {
	parts := make([]string, len(c))
	for i, m := range c {
		parts[i] = m.text()
	}
	return strings.Join(parts, " and ")
}

// equal reports whether m and o test the same thing.
func (m matcher) equal(o matcher) bool {
	return m.arg == o.arg && m.op == o.op && m.mask == o.mask && m.wide == o.wide &&
		m.self == o.self && slices.Equal(m.values, o.values)
}

// equal reports whether c and o are the same conjunction, matcher by matcher.
func (c condition) equal(o condition) bool {
	return slices.EqualFunc(c, o, matcher.equal)
}

// fieldOneOf matches when the bits of field in the 32-bit argument equal one
// of syms and no bit of forbid is set.
func fieldOneOf(arg int, name string, field sym, forbid []sym, syms ...sym) matcher {
	m := oneOf(arg, name, syms...)
	m.mask = field.value | symMask(forbid)
	m.form, m.aux = formField, append([]sym{field}, forbid...)
	return m
}
