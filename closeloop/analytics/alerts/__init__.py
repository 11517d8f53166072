"""Alerts, weekly team digests, targets and benchmarks, and business metrics.

- `rules`: alert rule services; `evaluation`: the hourly check that records alert events and
  notifies (through `integrations.notify` and the outbox); `describe`: their plain sentences.
- `digest`: what a team's weekly digest says; `digest_services`: settings, opt-outs, sending.
- `targets`: targets and industry benchmarks, `targets_for(...)` (reference lines for charts)
  and `target_gaps(...)` ("4 points below target", for metric cards).
- `business`: churn, retention, unresolved issues and revenue at risk by NPS group.
- `tasks`: the periodic jobs (alerts hourly, digests hourly at their scheduled time).

See docs/analytics.md, "Alerts, digests, targets and business metrics".
"""
