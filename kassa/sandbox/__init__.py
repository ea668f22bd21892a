"""Provider emulators, mounted under /sandbox/<provider> when SANDBOX is on."""
