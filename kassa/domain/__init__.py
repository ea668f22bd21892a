"""Pure payment rules: no I/O, nothing of kassa's imported but `money`."""
