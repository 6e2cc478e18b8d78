package paysession

// The generated packages under gen/ come from the OpenAPI documents under api/.
// Each line runs the generator version pinned in go.mod (see tools.go), with the
// configuration file beside its output. `make check-generated` fails when gen/
// is not what these lines produce.

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config gen/dinteroapi/config.yaml api/dintero-checkout.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config gen/cyberflexapi/config.yaml api/cyberflex.yaml
