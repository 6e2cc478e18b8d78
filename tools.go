//go:build tools

// This file pins the code generator in go.mod, so that `go generate ./...`
// runs the exact version below with nothing installed beyond Go.
package paysession

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
