// Package paysession is the root of the paysession Go SDK for two payment-session APIs.
//
// Import the package for the API you use:
//
//   - github.com/paysession/paysession-go/dintero: Dintero Checkout sessions.
//   - github.com/paysession/paysession-go/cyberflex: CyberSource Flex API v2 capture contexts.
//
// This package holds the SDK's Version and the go:generate lines (generate.go) that rebuild the
// generated code under gen/ from the OpenAPI documents under api/.
package paysession

// Version is the SDK's version, sent in the User-Agent of every request of both clients
// (paysession-go/<Version>). It follows semantic versioning; see CHANGELOG.md.
const Version = "0.1.0"
