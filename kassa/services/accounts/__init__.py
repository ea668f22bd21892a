"""Who may act and for whom: operators, API keys and their access, merchants (shops and their
provider credentials), sellers, customers and their saved payment methods."""
