"""Background jobs: loops that `kassa worker` (or `kassa serve`) runs."""
