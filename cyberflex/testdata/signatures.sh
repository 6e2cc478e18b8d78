#!/usr/bin/env bash
# Recomputes the HTTP Signature test vectors of httpsignature_test.go with openssl, independently of the
# Go code: the signing string of NOTES §4a, HMAC-SHA256 keyed with the base64-decoded secret.
# Run: bash cyberflex/testdata/signatures.sh   (needs openssl and xxd)
set -euo pipefail
secret='yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE='
hex=$(printf '%s' "$secret" | base64 -d | xxd -p -c 256)
date='Sat, 21 Nov 2026 12:17:15 GMT'
body='{"fields":{"paymentInformation":{"card":{"number":{"required":true},"securityCode":{"required":false},"expirationMonth":{"required":true},"expirationYear":{"required":true},"type":{"required":false}}}}}'
digest="SHA-256=$(printf '%s' "$body" | openssl dgst -sha256 -binary | base64)"

sign() { printf '%s' "$1" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hex" -binary | base64; }
nl=$'\n'
echo "digest         $digest"
echo "POST sessions  $(sign "host: apitest.cybersource.com${nl}date: $date${nl}request-target: post /flex/v2/sessions${nl}digest: $digest${nl}v-c-merchant-id: testrest")"
echo "POST via URL   $(sign "host: 127.0.0.1:18731${nl}date: $date${nl}request-target: post /flex/v2/sessions${nl}digest: $digest${nl}v-c-merchant-id: testrest")"
echo "GET            $(sign "host: apitest.cybersource.com${nl}date: $date${nl}request-target: get /tss/v2/transactions/7634856201836547204006${nl}v-c-merchant-id: testrest")"
echo "GET with query $(sign "host: apitest.cybersource.com${nl}date: $date${nl}request-target: get /tss/v2/transactions/7634856201836547204006?foo=a%20b&x=1${nl}v-c-merchant-id: testrest")"
