// Package api holds the OpenAPI 3 documents that the SDK is generated from: the single source
// of truth for the wire format of both APIs.
//
//   - dintero-checkout.yaml: Dintero Checkout sessions (generates gen/dinteroapi).
//   - cyberflex.yaml: CyberSource Flex API v2 sessions (generates gen/cyberflexapi).
//
// The documents are embedded so that tests and test fakes can validate requests against the
// very same text the code was generated from.
package api

import "embed"

// Specs holds every OpenAPI document of this directory, by file name
// (for example "dintero-checkout.yaml"). It is read-only.
//
//go:embed *.yaml
var Specs embed.FS
