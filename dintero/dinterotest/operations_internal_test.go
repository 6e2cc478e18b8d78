package dinterotest

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/api"
)

// TestEveryOperationIsServed keeps the fake in step with the document: every operationId has an
// Operation, and every Operation an operationId.
func TestEveryOperationIsServed(t *testing.T) {
	data, err := api.Specs.ReadFile("dintero-checkout.yaml")
	require.NoError(t, err)
	doc, err := openapi3.NewLoader().LoadFromData(data)
	require.NoError(t, err)
	seen := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			_, ok := operations[op.OperationID]
			assert.True(t, ok, "%s %s (%s) has no Operation", method, path, op.OperationID)
			seen[op.OperationID] = true
		}
	}
	for id := range operations {
		assert.True(t, seen[id], "operation %q is not in the document", id)
	}
}
