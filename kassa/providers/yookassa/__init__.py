"""YooKassa: payments, capture, refunds and verified notifications through the official SDK."""
