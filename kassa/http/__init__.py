"""HTTP plumbing every face shares: errors as RFC 9457 problems, input guards, the client's
address, dependencies (principal, paging), middleware, idempotent answers, signed flashes."""
