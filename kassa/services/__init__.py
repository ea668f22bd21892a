"""Use cases, each a function over a session; the API, webhooks and jobs call these."""
