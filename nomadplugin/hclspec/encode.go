package hclspec

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"

	hclspecpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/hclspec"
)

// EncodeHCL encodes the body of a `config { ... }` block (HCL native syntax,
// without the braces) exactly as a Nomad agent does before sending it to the
// plugin: decode with the spec converted by the agent's rules, evaluate with
// vars (e.g. NOMAD_TASK_DIR) and the agent's functions, encode as cty
// msgpack typed by the value's own type.
func EncodeHCL(o Object, body string, vars map[string]cty.Value) ([]byte, error) {
	return EncodeHCLSpec(o.Proto(), body, vars)
}

// EncodeHCLSpec is EncodeHCL for a spec as received over the wire, e.g. from
// TaskConfigSchema.
func EncodeHCLSpec(spec *hclspecpb.Spec, body string, vars map[string]cty.Value) ([]byte, error) {
	val, err := decodeBodySpec(spec, body, vars)
	if err != nil {
		return nil, err
	}
	return ctymsgpack.Marshal(val, val.Type())
}

func decodeBody(o Object, body string, vars map[string]cty.Value) (cty.Value, error) {
	return decodeBodySpec(o.Proto(), body, vars)
}

func decodeBodySpec(spec *hclspecpb.Spec, body string, vars map[string]cty.Value) (cty.Value, error) {
	dec, err := DecoderSpec(spec)
	if err != nil {
		return cty.NilVal, err
	}
	if dec == nil {
		return cty.NilVal, errors.New("the plugin declares no configuration schema, so no config body is accepted")
	}
	file, diags := hclsyntax.ParseConfig([]byte(body), "config.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("parse config: %w", diags)
	}
	ctx := &hcl.EvalContext{Variables: vars, Functions: Functions()}
	val, diags := hcldec.Decode(file.Body, dec, ctx)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("decode config: %w", diags)
	}
	return val, nil
}
