"""A payment's life: created at its provider (`service`), moved only by `updates.apply_update`
with its `effects`, refunded (`refunds`, recorded once in `refund_records`), told by webhooks
(`inbound`, `pushed_updates`), by Payme's and Click's calls (`inverted`) and by polling
(`reconciler`)."""
