"""The programme calendar and the delivery of notices.

plan (which reminders a visit or event has, and when), reminders (queue what is due, drop what was
missed), service and jobs (APScheduler 3, its jobs in memory, rebuilt from the tables), background (the seam
the servers and the console start: delivery workers, and the scheduler in one process), worker and
delivery (the outbox: claim, send, record), limits (pacing under the platforms' limits), locks (the
one scheduler process, the workers' liveness), visits, events, notices, audience, visit_import (the
calendar's operations, shared by the CLI and chat), render and localtime (what people read), errors,
config. docs/scheduler.md describes how it runs.
"""
