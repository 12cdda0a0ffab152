// Package hclspec describes a plugin's HCL configuration schema once, in Go,
// and derives from that single description everything Nomad's protocol needs:
// the hclspec.Spec message the agent decodes `config {}` bodies with, the cty
// type of the msgpack bytes the agent then sends, decoding of those bytes into
// Go structs, and (for test harnesses) encoding an HCL body exactly as an
// agent would.
package hclspec

// Object is the body of a configuration block: each key is the name of an
// attribute or nested block in HCL, and also the attribute name of the decoded
// cty object (match it with a `cty:"name"` struct tag). A nil Object means the
// plugin accepts no configuration at all.
type Object map[string]Spec

// Spec is one entry of an Object. The implementations are Attr, Block,
// BlockList, BlockSet, BlockMap, BlockAttrs and Object itself (a nested
// object without a block of its own is rarely useful but is valid HCL spec).
type Spec interface {
	isSpec()
}

// Attr is an attribute such as `command = "/bin/true"`.
type Attr struct {
	// Type is an HCL type expression: string, number, bool, list(T), set(T),
	// map(T), object({k=T,...}), tuple([T,...]). Empty means string. Avoid
	// `any`: the agent encodes such values with their concrete type, which
	// Decode cannot know in advance.
	Type string
	// Required rejects bodies that omit the attribute.
	Required bool
	// Default is an HCL literal expression used when the attribute is
	// omitted, e.g. `"\"none\""`, `false`, `[]`, `{}`. Empty means none: the
	// decoded value is then the zero value of the Go field.
	Default string
}

// Block is a nested block that may appear at most once, such as
// `resources { ... }`. Absent optional blocks decode to nil pointers.
type Block struct {
	Required bool
	Body     Object
}

// BlockList is a block type that may repeat, decoded into a slice in source
// order. MaxItems 0 means unlimited.
type BlockList struct {
	MinItems, MaxItems uint64
	Body               Object
}

// BlockSet is like BlockList but unordered and without duplicates.
type BlockSet struct {
	MinItems, MaxItems uint64
	Body               Object
}

// BlockMap is a labelled block such as `port "http" { ... }`, decoded into a
// map keyed by the label (one nested map level per label).
type BlockMap struct {
	Labels []string
	Body   Object
}

// BlockAttrs is a block whose arbitrary attributes form a map, such as
// `env { FOO = "bar" }`. Type is the element type (empty means string).
type BlockAttrs struct {
	Type     string
	Required bool
}

func (Attr) isSpec()       {}
func (Block) isSpec()      {}
func (BlockList) isSpec()  {}
func (BlockSet) isSpec()   {}
func (BlockMap) isSpec()   {}
func (BlockAttrs) isSpec() {}
func (Object) isSpec()     {}
