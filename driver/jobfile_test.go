package driver_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"
)

// jobTask is one `task` block of a job file with driver = "pledge": what a
// Nomad client would hand the driver for it. Only the job-spec fields the
// classic examples use are read; anything else in the file is ignored, as
// the test is about the driver's part of a job, not about Nomad's.
type jobTask struct {
	File, Job, Group, Name string
	// Config is the source text of the task's `config { … }` body, without
	// the braces, exactly as the agent hands it to hcldec.
	Config string
	User   string
	// KillTimeout is the task's kill_timeout; 0 when unset.
	KillTimeout time.Duration
	// Meta merges job, group and task meta, inner blocks winning.
	Meta map[string]string
	// Templates are the task's template blocks, by destination relative
	// to the task directory; the test renders them as the client would.
	Templates map[string]string
	// CPU, MemoryMB and MemoryMaxMB are the task's resources (0: unset).
	CPU, MemoryMB, MemoryMaxMB int
	// NetworkMode is the group network's mode ("" without a network
	// block or mode).
	NetworkMode string
	// Ports are the group network's port labels with their `to` port;
	// 0 for a dynamic port the client would pick.
	Ports map[string]int
}

// jobsDir holds the classic example jobs; examplesDir the ones users
// submit (mostly links to jobsDir).
const (
	jobsDir     = "../testdata/jobs"
	examplesDir = "../examples"
)

// readJobFiles parses every job file of dir and returns its pledge tasks,
// keyed by "<file>/<task>".
func readJobFiles(dir string) (map[string]*jobTask, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no job files in %s", dir)
	}
	out := map[string]*jobTask{}
	for _, f := range files {
		tasks, err := parseJobFile(f)
		if err != nil {
			return nil, err
		}
		for _, t := range tasks {
			out[t.File+"/"+t.Name] = t
		}
	}
	return out, nil
}

// parseJobFile parses one job file with hclsyntax.
func parseJobFile(path string) ([]*jobTask, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	jp := jobParser{src: src, file: strings.TrimSuffix(filepath.Base(path), ".hcl")}
	for _, job := range blocks(f.Body.(*hclsyntax.Body), "job") {
		if err := jp.job(job); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if len(jp.tasks) == 0 {
		return nil, fmt.Errorf("%s: no task with driver = \"pledge\"", path)
	}
	return jp.tasks, nil
}

type jobParser struct {
	src   []byte
	file  string
	tasks []*jobTask
}

func (jp *jobParser) job(job *hclsyntax.Block) error {
	jobMeta, err := metaOf(job.Body)
	if err != nil {
		return err
	}
	for _, group := range blocks(job.Body, "group") {
		meta, err := metaOf(group.Body)
		if err != nil {
			return err
		}
		base := &jobTask{File: jp.file, Job: label(job), Group: label(group), Meta: merge(jobMeta, meta)}
		if err := base.readNetwork(group.Body); err != nil {
			return err
		}
		for _, task := range blocks(group.Body, "task") {
			t, err := jp.task(base, task)
			if err != nil {
				return fmt.Errorf("task %q: %w", label(task), err)
			}
			if t != nil {
				jp.tasks = append(jp.tasks, t)
			}
		}
	}
	return nil
}

// task reads a task block; nil when it is not a pledge task.
func (jp *jobParser) task(base *jobTask, b *hclsyntax.Block) (*jobTask, error) {
	var driverName string
	if err := optionalAttr(b.Body, "driver", &driverName); err != nil || driverName != "pledge" {
		return nil, err
	}
	t := *base
	t.Name = label(b)
	configs := blocks(b.Body, "config")
	if len(configs) != 1 {
		return nil, fmt.Errorf("%d config blocks, want 1", len(configs))
	}
	c := configs[0]
	t.Config = string(jp.src[c.OpenBraceRange.End.Byte:c.CloseBraceRange.Start.Byte])
	var killTimeout string
	if err := optionalAttr(b.Body, "user", &t.User); err != nil {
		return nil, err
	}
	if err := optionalAttr(b.Body, "kill_timeout", &killTimeout); err != nil {
		return nil, err
	}
	if killTimeout != "" {
		d, err := time.ParseDuration(killTimeout)
		if err != nil {
			return nil, fmt.Errorf("kill_timeout: %w", err)
		}
		t.KillTimeout = d
	}
	meta, err := metaOf(b.Body)
	if err != nil {
		return nil, err
	}
	t.Meta = merge(t.Meta, meta)
	if err := t.readTemplates(b.Body); err != nil {
		return nil, err
	}
	for _, r := range blocks(b.Body, "resources") {
		for name, dst := range map[string]*int{"cpu": &t.CPU, "memory": &t.MemoryMB, "memory_max": &t.MemoryMaxMB} {
			if err := optionalAttr(r.Body, name, dst); err != nil {
				return nil, err
			}
		}
	}
	return &t, nil
}

func (t *jobTask) readNetwork(group *hclsyntax.Body) error {
	t.Ports = map[string]int{}
	for _, n := range blocks(group, "network") {
		if err := optionalAttr(n.Body, "mode", &t.NetworkMode); err != nil {
			return err
		}
		for _, port := range blocks(n.Body, "port") {
			to := 0
			if err := optionalAttr(port.Body, "to", &to); err != nil {
				return err
			}
			t.Ports[label(port)] = to
		}
	}
	return nil
}

func (t *jobTask) readTemplates(body *hclsyntax.Body) error {
	t.Templates = map[string]string{}
	for _, tb := range blocks(body, "template") {
		var dest, data string
		if err := optionalAttr(tb.Body, "destination", &dest); err != nil {
			return err
		}
		if err := optionalAttr(tb.Body, "data", &data); err != nil {
			return err
		}
		if dest == "" {
			return fmt.Errorf("template without destination")
		}
		t.Templates[dest] = data
	}
	return nil
}

// render writes the templates into taskDir, as the client's template hook
// does before the task starts.
func (t *jobTask) render(taskDir string) error {
	for dest, data := range t.Templates {
		path := filepath.Join(taskDir, dest)
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func blocks(body *hclsyntax.Body, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range body.Blocks {
		if b.Type == typ {
			out = append(out, b)
		}
	}
	return out
}

func label(b *hclsyntax.Block) string {
	if len(b.Labels) == 0 {
		return ""
	}
	return b.Labels[0]
}

// optionalAttr decodes a literal attribute into dst when it is present.
func optionalAttr(body *hclsyntax.Body, name string, dst any) error {
	a, ok := body.Attributes[name]
	if !ok {
		return nil
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return fmt.Errorf("%s: %w", name, diags)
	}
	if err := gocty.FromCtyValue(v, dst); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// metaOf reads a body's meta block (string values only, as Nomad's).
func metaOf(body *hclsyntax.Body) (map[string]string, error) {
	out := map[string]string{}
	for _, m := range blocks(body, "meta") {
		for name, a := range m.Body.Attributes {
			v, diags := a.Expr.Value(nil)
			if diags.HasErrors() {
				return nil, fmt.Errorf("meta %s: %w", name, diags)
			}
			if v.Type() != cty.String {
				return nil, fmt.Errorf("meta %s: want a string, got %s", name, v.Type().FriendlyName())
			}
			out[name] = v.AsString()
		}
	}
	return out, nil
}

func merge(outer, inner map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range outer {
		out[k] = v
	}
	for k, v := range inner {
		out[k] = v
	}
	return out
}
