package hclspec

import (
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	hclspecpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/hclspec"
)

// The generated spec has the shape Nomad's own SDK sends (seen in the mock
// driver's ConfigSchema): defaults wrap an Attr that names itself.
func TestProtoShape(t *testing.T) {
	schema := Object{
		"fs_isolation": Attr{Default: `"none"`},
		"command":      Attr{Required: true},
		"env":          BlockAttrs{Type: "string"},
		"mount":        BlockList{MaxItems: 4, Body: Object{"source": Attr{}}},
		"port":         BlockMap{Labels: []string{"label"}, Body: Object{"to": Attr{Type: "number"}}},
		"limits":       Block{Body: Object{"n": Attr{Type: "number"}}},
		"tags":         BlockSet{MinItems: 1, Body: Object{}},
	}
	want := `{"object":{"attributes":{
		"fs_isolation":{"default":{"primary":{"Attr":{"name":"fs_isolation","type":"string"}},"default":{"literal":{"value":"\"none\""}}}},
		"command":{"Attr":{"name":"command","type":"string","required":true}},
		"env":{"blockAttrs":{"name":"env","type":"string"}},
		"mount":{"blockList":{"name":"mount","maxItems":"4","nested":{"object":{"attributes":{"source":{"Attr":{"name":"source","type":"string"}}}}}}},
		"port":{"blockMap":{"name":"port","labels":["label"],"nested":{"object":{"attributes":{"to":{"Attr":{"name":"to","type":"number"}}}}}}},
		"limits":{"blockValue":{"name":"limits","nested":{"object":{"attributes":{"n":{"Attr":{"name":"n","type":"number"}}}}}}},
		"tags":{"blockSet":{"name":"tags","minItems":"1","nested":{"object":{}}}}
	}}}`
	var wantSpec hclspecpb.Spec
	if err := protojson.Unmarshal([]byte(want), &wantSpec); err != nil {
		t.Fatal(err)
	}
	if got := schema.Proto(); !proto.Equal(got, &wantSpec) {
		t.Fatalf("spec\n%v\nwant\n%v", protojson.Format(got), protojson.Format(&wantSpec))
	}
	if Object(nil).Proto() != nil {
		t.Fatal("nil Object must yield no spec (no config accepted)")
	}
}

// Specs Nomad's SDK writes by hand (implied names, Default children naming
// themselves, empty type = any) convert like the agent converts them.
func TestDecoderSpecImpliedNames(t *testing.T) {
	spec := `{"object":{"attributes":{
		"a":{"Attr":{"type":"number"}},
		"b":{"default":{"primary":{"Attr":{"name":"b","type":"bool"}},"default":{"literal":{"value":"true"}}}},
		"c":{"Attr":{}}
	}}}`
	var pbSpec hclspecpb.Spec
	if err := protojson.Unmarshal([]byte(spec), &pbSpec); err != nil {
		t.Fatal(err)
	}
	raw, err := EncodeHCLSpec(&pbSpec, `a = 1
c = [1, "x"]`, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The agent encodes with the value's own type, so the `any` attribute c
	// is a plain tuple here, not the [type, value] wrapper.
	want := "\x83\xa1a\x01\xa1b\xc3\xa1c\x92\x01\xa1x"
	if string(raw) != want {
		t.Fatalf("encoded %q, want %q", raw, want)
	}
}
