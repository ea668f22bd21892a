"""What operators read and what leaves kassa: operations and statistics, the audit trail, the
outbox and its relay to downstream webhooks, kept idempotent answers, upkeep and advice."""
