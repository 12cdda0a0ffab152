package hclspec

import "testing"

// FuzzDecodeConfig feeds arbitrary bytes to the config decoder, which reads
// untrusted msgpack from the agent connection: it must return an error or a
// value, never panic or hang.
func FuzzDecodeConfig(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzDecodeConfig (the agent's real bytes and
	// hostile headers).
	f.Fuzz(func(t *testing.T, raw []byte) {
		var task mockTaskConfig
		_ = mockTaskSchema.Decode(raw, &task)
		var rich richConfig
		_ = richSchema.Decode(raw, &rich)
	})
}
