"""The wiring nothing else owns: settings (the only reader of the environment), the
runtime, crypto, logging, observability, security (tokens, API keys) and rate limits."""
