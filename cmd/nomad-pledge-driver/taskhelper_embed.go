//go:build embedhelper

package main

import _ "embed"

// taskHelper is ./taskhelper, built into taskhelper.bin by `make build`
// just before this binary, so the two always come from the same source.
//
//go:embed taskhelper.bin
var taskHelper []byte
