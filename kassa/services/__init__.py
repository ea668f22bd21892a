"""Use cases by feature, one room each: `payments` (an order's life at its provider),
`billing` (what money buys: subscriptions, renewals, tariffs, codes, documents, wallets),
`accounts` (who may act and on whose behalf) and `ops` (what operators read and what leaves
kassa: statistics, audit, outbox, downstream webhooks). `schemas` holds the shapes they
return."""
