"""Dashboards: the widget registry, page filters, services (writes) and selectors (reads)."""
