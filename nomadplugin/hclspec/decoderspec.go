package hclspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	hclspecpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/hclspec"
)

// Functions are the HCL functions a Nomad agent offers when it evaluates
// Literal defaults and config bodies.
func Functions() map[string]function.Function {
	return map[string]function.Function{
		"abs":        stdlib.AbsoluteFunc,
		"coalesce":   stdlib.CoalesceFunc,
		"concat":     stdlib.ConcatFunc,
		"hasindex":   stdlib.HasIndexFunc,
		"int":        stdlib.IntFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc,
		"length":     stdlib.LengthFunc,
		"lower":      stdlib.LowerFunc,
		"max":        stdlib.MaxFunc,
		"min":        stdlib.MinFunc,
		"reverse":    stdlib.ReverseFunc,
		"strlen":     stdlib.StrlenFunc,
		"substr":     stdlib.SubstrFunc,
		"upper":      stdlib.UpperFunc,
	}
}

// DecoderSpec converts a wire Spec into the hcldec spec a Nomad agent decodes
// config bodies with, following the agent's rules: Object keys are the
// implied names of children without a name, children of Default and nested
// block bodies get none, type strings are HCL type expressions (empty means
// any), Literal values are HCL expressions evaluated once. A nil spec yields
// nil.
func DecoderSpec(spec *hclspecpb.Spec) (hcldec.Spec, error) {
	if spec == nil {
		return nil, nil
	}
	return decoderSpec(spec, "")
}

func decoderSpec(spec *hclspecpb.Spec, implied string) (hcldec.Spec, error) {
	switch b := spec.GetBlock().(type) {
	case *hclspecpb.Spec_Object:
		return objectSpec(b.Object)
	case *hclspecpb.Spec_Array:
		return tupleSpec(b.Array)
	case *hclspecpb.Spec_Attr:
		ty, err := parseType(b.Attr.GetType())
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", nameOr(b.Attr.GetName(), implied), err)
		}
		return &hcldec.AttrSpec{Name: nameOr(b.Attr.GetName(), implied), Type: ty, Required: b.Attr.GetRequired()}, nil
	case *hclspecpb.Spec_BlockValue:
		nested, err := nestedSpec(b.BlockValue.GetNested(), nameOr(b.BlockValue.GetName(), implied))
		return &hcldec.BlockSpec{TypeName: nameOr(b.BlockValue.GetName(), implied), Required: b.BlockValue.GetRequired(), Nested: nested}, err
	case *hclspecpb.Spec_BlockAttrs:
		return blockAttrsSpec(b.BlockAttrs, implied)
	case *hclspecpb.Spec_BlockList:
		name := nameOr(b.BlockList.GetName(), implied)
		nested, err := nestedSpec(b.BlockList.GetNested(), name)
		return &hcldec.BlockListSpec{TypeName: name, MinItems: int(b.BlockList.GetMinItems()), MaxItems: int(b.BlockList.GetMaxItems()), Nested: nested}, err
	case *hclspecpb.Spec_BlockSet:
		name := nameOr(b.BlockSet.GetName(), implied)
		nested, err := nestedSpec(b.BlockSet.GetNested(), name)
		return &hcldec.BlockSetSpec{TypeName: name, MinItems: int(b.BlockSet.GetMinItems()), MaxItems: int(b.BlockSet.GetMaxItems()), Nested: nested}, err
	case *hclspecpb.Spec_BlockMap:
		return blockMapSpec(b.BlockMap, implied)
	case *hclspecpb.Spec_Default:
		return defaultSpec(b.Default, implied)
	case *hclspecpb.Spec_Literal:
		return literalSpec(b.Literal)
	}
	return nil, fmt.Errorf("spec %q has no kind set; set one of object, array, Attr, block_value, block_attrs, block_list, block_set, block_map, default, literal", implied)
}

func nameOr(name, implied string) string {
	if name != "" {
		return name
	}
	return implied
}

func objectSpec(o *hclspecpb.Object) (hcldec.Spec, error) {
	out := make(hcldec.ObjectSpec, len(o.GetAttributes()))
	for name, child := range o.GetAttributes() {
		s, err := decoderSpec(child, name)
		if err != nil {
			return nil, err
		}
		out[name] = s
	}
	return out, nil
}

func tupleSpec(a *hclspecpb.Array) (hcldec.Spec, error) {
	out := make(hcldec.TupleSpec, 0, len(a.GetValues()))
	for _, child := range a.GetValues() {
		s, err := decoderSpec(child, "")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// nestedSpec converts a block body; the agent requires one.
func nestedSpec(nested *hclspecpb.Spec, block string) (hcldec.Spec, error) {
	if nested == nil {
		return nil, fmt.Errorf("block %q has no nested spec; give it a body (an object spec)", block)
	}
	return decoderSpec(nested, "")
}

func blockAttrsSpec(b *hclspecpb.BlockAttrs, implied string) (hcldec.Spec, error) {
	name := nameOr(b.GetName(), implied)
	if name == "" {
		return nil, fmt.Errorf("block_attrs spec needs a name")
	}
	ty, err := parseType(b.GetType())
	if err != nil {
		return nil, fmt.Errorf("block_attrs %q: %w", name, err)
	}
	return &hcldec.BlockAttrsSpec{TypeName: name, ElementType: ty, Required: b.GetRequired()}, nil
}

func blockMapSpec(b *hclspecpb.BlockMap, implied string) (hcldec.Spec, error) {
	name := nameOr(b.GetName(), implied)
	if len(b.GetLabels()) == 0 {
		return nil, fmt.Errorf("block_map %q needs at least one label", name)
	}
	nested, err := nestedSpec(b.GetNested(), name)
	return &hcldec.BlockMapSpec{TypeName: name, LabelNames: b.GetLabels(), Nested: nested}, err
}

func defaultSpec(d *hclspecpb.Default, implied string) (hcldec.Spec, error) {
	if d.GetPrimary() == nil || d.GetDefault() == nil {
		return nil, fmt.Errorf("default spec %q needs both primary and default", implied)
	}
	primary, err := decoderSpec(d.GetPrimary(), "")
	if err != nil {
		return nil, err
	}
	def, err := decoderSpec(d.GetDefault(), "")
	if err != nil {
		return nil, err
	}
	return &hcldec.DefaultSpec{Primary: primary, Default: def}, nil
}

func literalSpec(l *hclspecpb.Literal) (hcldec.Spec, error) {
	expr, diags := hclsyntax.ParseExpression([]byte(l.GetValue()), "literal", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("literal %q is not an HCL expression (quote strings: \"\\\"text\\\"\"): %s", l.GetValue(), diags.Error())
	}
	val, diags := expr.Value(&hcl.EvalContext{Functions: Functions()})
	if diags.HasErrors() {
		return nil, fmt.Errorf("literal %q: %s", l.GetValue(), diags.Error())
	}
	return &hcldec.LiteralSpec{Value: val}, nil
}

// parseType parses an HCL type expression; empty means any, as in the agent.
func parseType(t string) (cty.Type, error) {
	if t == "" {
		return cty.DynamicPseudoType, nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(t), "type", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilType, fmt.Errorf("type %q is not an HCL type expression: %s", t, diags.Error())
	}
	ty, diags := typeexpr.TypeConstraint(expr)
	if diags.HasErrors() {
		return cty.NilType, fmt.Errorf("type %q: %s; use string, number, bool, any, list(T), set(T), map(T), object({...}) or tuple([...])", t, diags.Error())
	}
	return ty, nil
}
