// Package paysession is the root of the paysession Go SDK for two payment-session APIs.
//
// Import the package for the API you use:
//
//   - github.com/paysession/paysession-go/dintero: Dintero Checkout sessions.
//   - github.com/paysession/paysession-go/cyberflex: CyberSource Flex API v2 capture contexts.
//
// This package holds no code of its own: it carries the go:generate lines (generate.go) that
// rebuild the low-level clients under gen/ from the OpenAPI documents under api/.
package paysession
