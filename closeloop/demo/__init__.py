"""Demo data: a realistic organization to try closeloop with (`closeloop demo`)."""
