package paysession

// The generated packages under gen/ come from the OpenAPI documents under api/. Each oapi-codegen
// line runs the generator version pinned in go.mod (see tools.go), with the configuration file
// beside its output. Then internal/cmd/genapi, run once per API after oapi-codegen, writes the Get
// methods and package doc of gen/… and the aliases that re-export the generated types from the
// package users import (dintero/aliases.gen.go, cyberflex/aliases.gen.go); with -rules, also the
// value rules of the document's properties (gen/dinteroapi/rules.gen.go) for the request checks.
// `make check-generated` fails when any of these files is not what these lines produce.

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config gen/dinteroapi/config.yaml api/dintero-checkout.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config gen/cyberflexapi/config.yaml api/cyberflex.yaml
//go:generate go run ./internal/cmd/genapi -spec api/dintero-checkout.yaml -api "Dintero Checkout API" -gen gen/dinteroapi -wrapper dintero -rules
//go:generate go run ./internal/cmd/genapi -spec api/cyberflex.yaml -api "CyberSource Flex API" -gen gen/cyberflexapi -wrapper cyberflex
