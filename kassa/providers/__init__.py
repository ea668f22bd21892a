"""Payment providers behind one Protocol. Providers never touch the database."""
