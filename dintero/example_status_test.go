package dintero_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/paysession/paysession-go/dintero"
)

func ExampleStatusOf() {
	// A session as GetSession returns it (shortened): the customer paid.
	const paid = `{
		"id": "T12345678.4VfSpqnprujVvsa8sHhXjf",
		"created_at": "2026-03-01T10:00:00Z",
		"expires_at": "2026-03-02T10:00:00Z",
		"transaction_id": "T12345678.4VfSpqnprujVvsa8sHhXjg",
		"url": {"return_url": "https://shop.example/return"},
		"configuration": {},
		"order": {"amount": 29970, "currency": "NOK", "merchant_reference": "order-1001"},
		"events": [
			{"name": "INITIATED", "created_at": "2026-03-01T10:00:00Z"},
			{"name": "VISITED", "created_at": "2026-03-01T10:01:00Z"},
			{"name": "PAY_FAILED", "created_at": "2026-03-01T10:02:00Z", "details": {"error": "Rejected"}},
			{"name": "AUTHORIZED", "created_at": "2026-03-01T10:04:00Z", "details": {"amount": 29970}},
			{"name": "COMPLETED", "created_at": "2026-03-01T10:04:01Z"}
		]
	}`
	var s dintero.Session
	if err := json.Unmarshal([]byte(paid), &s); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(dintero.StatusOf(&s, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)))

	// The same session before the customer paid: open until it expires.
	s.TransactionID, s.Events = nil, s.Events[:3]
	fmt.Println(dintero.StatusOf(&s, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)))
	fmt.Println(dintero.StatusOf(&s, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)))

	switch dintero.StatusOf(&s, time.Now()) {
	case dintero.StatusAuthorized, dintero.StatusOnHold:
		// paid, or pending approval: keep the order
	case dintero.StatusCreated, dintero.StatusLocked:
		// the customer may still pay
	default:
		// cancelled, failed, declined, expired: release the goods; unknown: ask the transaction
	}
	// Output:
	// authorized
	// created
	// expired
}
