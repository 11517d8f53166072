"""The idea portal: services (writes), selectors (reads), notifications and rate limits."""
