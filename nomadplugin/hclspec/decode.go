package hclspec

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

// ImpliedType is the cty type of the values the agent decodes with o's spec,
// which is also the type its msgpack bytes are encoded with.
func (o Object) ImpliedType() (cty.Type, error) {
	spec, err := DecoderSpec(o.Proto())
	if err != nil {
		return cty.NilType, err
	}
	if spec == nil {
		return cty.EmptyObject, nil
	}
	return hcldec.ImpliedType(spec), nil
}

// Decode decodes cty-msgpack config bytes sent by the agent
// (msgpack_config, msgpack_driver_config) into out, a pointer to a struct
// whose fields are tagged `cty:"name"` for every key of o. Omitted optional
// attributes without a default decode to zero values; absent optional blocks
// to nil (use pointer fields). Empty raw is treated as an empty body, so
// defaults apply and required attributes are reported missing.
//
// raw is untrusted input: errors name the offending field, and no input
// makes Decode panic.
func (o Object) Decode(raw []byte, out any) error {
	val, err := o.Value(raw)
	if err != nil {
		return err
	}
	if err := gocty.FromCtyValue(zeroNulls(val), out); err != nil {
		return fieldError(err)
	}
	return nil
}

// Value decodes cty-msgpack config bytes into the cty value the agent encoded.
func (o Object) Value(raw []byte) (cty.Value, error) {
	if len(raw) == 0 {
		return decodeBody(o, "", nil)
	}
	ty, err := o.ImpliedType()
	if err != nil {
		return cty.NilVal, err
	}
	val, err := ctymsgpack.Unmarshal(raw, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("config is not cty msgpack of the plugin's schema: %w", fieldError(err))
	}
	if !val.IsWhollyKnown() {
		return cty.NilVal, errors.New("config contains unknown values; the agent sends only fully evaluated config")
	}
	if val.IsNull() {
		return cty.NilVal, errors.New("config is null; expected an object of the plugin's schema")
	}
	return val, nil
}

// zeroNulls replaces null primitives and sets (omitted optional attributes)
// with zero values so they decode into plain Go fields; null objects (absent
// blocks) stay null and decode to nil pointers.
func zeroNulls(val cty.Value) cty.Value {
	out, _ := cty.Transform(val, func(_ cty.Path, v cty.Value) (cty.Value, error) {
		if !v.IsNull() {
			return v, nil
		}
		ty := v.Type()
		switch {
		case ty == cty.String:
			return cty.StringVal(""), nil
		case ty == cty.Number:
			return cty.Zero, nil
		case ty == cty.Bool:
			return cty.False, nil
		case ty.IsSetType():
			return cty.SetValEmpty(ty.ElementType()), nil
		}
		return v, nil
	})
	return out
}

// fieldError prefixes a cty path error with the dotted field name.
func fieldError(err error) error {
	var pe cty.PathError
	if !errors.As(err, &pe) || len(pe.Path) == 0 {
		return err
	}
	return fmt.Errorf("field %s: %w", pathString(pe.Path), err)
}

// pathString renders a path like the HCL source: attribute and identifier
// keys joined by dots (the msgpack decoder reports object attributes as
// string indexes), list indexes and other keys in brackets.
func pathString(p cty.Path) string {
	var b strings.Builder
	name := func(n string) {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(n)
	}
	for _, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			name(s.Name)
		case cty.IndexStep:
			key := s.Key
			switch {
			case !key.IsKnown() || key.IsNull():
				b.WriteString("[?]")
			case key.Type() == cty.String && hclsyntax.ValidIdentifier(key.AsString()):
				name(key.AsString())
			case key.Type() == cty.String:
				fmt.Fprintf(&b, "[%q]", key.AsString())
			case key.Type() == cty.Number:
				b.WriteString("[" + key.AsBigFloat().Text('f', -1) + "]")
			default:
				b.WriteString("[?]")
			}
		}
	}
	return b.String()
}
