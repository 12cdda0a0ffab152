package hclspec

import (
	"sort"

	hclspecpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/hclspec"
)

// Proto returns the hclspec.Spec message describing o, as sent in
// ConfigSchemaResponse and TaskConfigSchemaResponse. A nil Object yields nil
// (no configuration accepted).
//
// Names are carried by the object keys (the agent's implied names), except
// that an Attr with a Default becomes Default{primary: Attr, default:
// Literal}, and the agent gives children of Default no implied name, so that
// Attr carries its name explicitly.
func (o Object) Proto() *hclspecpb.Spec {
	if o == nil {
		return nil
	}
	return o.object()
}

func (o Object) object() *hclspecpb.Spec {
	attrs := make(map[string]*hclspecpb.Spec, len(o))
	for _, name := range o.names() {
		attrs[name] = specProto(name, o[name])
	}
	return &hclspecpb.Spec{Block: &hclspecpb.Spec_Object{Object: &hclspecpb.Object{Attributes: attrs}}}
}

// names returns the keys of o in a fixed order so generated specs are stable.
func (o Object) names() []string {
	names := make([]string, 0, len(o))
	for name := range o {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func specProto(name string, s Spec) *hclspecpb.Spec {
	switch s := s.(type) {
	case Attr:
		return attrProto(name, s)
	case Block:
		return &hclspecpb.Spec{Block: &hclspecpb.Spec_BlockValue{BlockValue: &hclspecpb.Block{
			Name: name, Required: s.Required, Nested: s.Body.object()}}}
	case BlockList:
		return &hclspecpb.Spec{Block: &hclspecpb.Spec_BlockList{BlockList: &hclspecpb.BlockList{
			Name: name, MinItems: s.MinItems, MaxItems: s.MaxItems, Nested: s.Body.object()}}}
	case BlockSet:
		return &hclspecpb.Spec{Block: &hclspecpb.Spec_BlockSet{BlockSet: &hclspecpb.BlockSet{
			Name: name, MinItems: s.MinItems, MaxItems: s.MaxItems, Nested: s.Body.object()}}}
	case BlockMap:
		return &hclspecpb.Spec{Block: &hclspecpb.Spec_BlockMap{BlockMap: &hclspecpb.BlockMap{
			Name: name, Labels: s.Labels, Nested: s.Body.object()}}}
	case BlockAttrs:
		return &hclspecpb.Spec{Block: &hclspecpb.Spec_BlockAttrs{BlockAttrs: &hclspecpb.BlockAttrs{
			Name: name, Type: typeOrString(s.Type), Required: s.Required}}}
	case Object:
		return s.object()
	}
	// Spec is sealed, so only a nil entry gets here: a bug in the schema.
	panic("hclspec: schema entry " + name + " is nil; use Attr, Block, BlockList, BlockSet, BlockMap, BlockAttrs or Object")
}

func attrProto(name string, a Attr) *hclspecpb.Spec {
	attr := &hclspecpb.Spec{Block: &hclspecpb.Spec_Attr{Attr: &hclspecpb.Attr{
		Name: name, Type: typeOrString(a.Type), Required: a.Required}}}
	if a.Default == "" {
		return attr
	}
	literal := &hclspecpb.Spec{Block: &hclspecpb.Spec_Literal{Literal: &hclspecpb.Literal{Value: a.Default}}}
	return &hclspecpb.Spec{Block: &hclspecpb.Spec_Default{Default: &hclspecpb.Default{Primary: attr, Default: literal}}}
}

func typeOrString(t string) string {
	if t == "" {
		return "string"
	}
	return t
}
