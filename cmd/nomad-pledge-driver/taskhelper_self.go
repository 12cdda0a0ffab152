//go:build !embedhelper

package main

// taskHelper is nil without the embedhelper tag: init and shim re-execute
// this binary.
var taskHelper []byte
