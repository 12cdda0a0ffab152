package main

import (
	"github.com/zclconf/go-cty/cty"

	hclspecpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/hclspec"
)

// taskConfig is the task's `config {}` body.
type taskConfig struct {
	// Stdout and Stderr are written once at start.
	Stdout string `cty:"stdout"`
	Stderr string `cty:"stderr"`
	// RunFor is how long the task runs (Go duration); SIGUSR1 during that
	// time prints a line, SIGINT/SIGTERM end the task by that signal.
	RunFor   string `cty:"run_for"`
	ExitCode int    `cty:"exit_code"`
	// StartError makes StartTask fail with this message, recoverable or not.
	StartError  string `cty:"start_error"`
	Recoverable bool   `cty:"recoverable"`
}

var taskConfigType = cty.Object(map[string]cty.Type{
	"stdout":      cty.String,
	"stderr":      cty.String,
	"run_for":     cty.String,
	"exit_code":   cty.Number,
	"start_error": cty.String,
	"recoverable": cty.Bool,
})

func taskConfigSpec() *hclspecpb.Spec {
	return object(map[string]*hclspecpb.Spec{
		"stdout":      withDefault(attr("stdout", "string"), `""`),
		"stderr":      withDefault(attr("stderr", "string"), `""`),
		"run_for":     withDefault(attr("run_for", "string"), `"0s"`),
		"exit_code":   withDefault(attr("exit_code", "number"), "0"),
		"start_error": withDefault(attr("start_error", "string"), `""`),
		"recoverable": withDefault(attr("recoverable", "bool"), "false"),
	})
}

// pluginConfig is the agent's `plugin "testplugin" { config {} }` body.
type pluginConfig struct {
	// HealthMessage is the fingerprint's health description, so tests can
	// see that the agent-side config arrived.
	HealthMessage string `cty:"health_message"`
}

var pluginConfigType = cty.Object(map[string]cty.Type{"health_message": cty.String})

func pluginConfigSpec() *hclspecpb.Spec {
	return object(map[string]*hclspecpb.Spec{
		"health_message": withDefault(attr("health_message", "string"), `"ready"`),
	})
}

func object(attrs map[string]*hclspecpb.Spec) *hclspecpb.Spec {
	return &hclspecpb.Spec{Block: &hclspecpb.Spec_Object{Object: &hclspecpb.Object{Attributes: attrs}}}
}

// attr builds an Attr; under Default the agent implies no name from the
// object key, so it must carry its own.
func attr(name, typ string) *hclspecpb.Spec {
	return &hclspecpb.Spec{Block: &hclspecpb.Spec_Attr{Attr: &hclspecpb.Attr{Name: name, Type: typ}}}
}

func withDefault(primary *hclspecpb.Spec, literal string) *hclspecpb.Spec {
	return &hclspecpb.Spec{Block: &hclspecpb.Spec_Default{Default: &hclspecpb.Default{
		Primary: primary,
		Default: &hclspecpb.Spec{Block: &hclspecpb.Spec_Literal{Literal: &hclspecpb.Literal{Value: literal}}},
	}}}
}
