"""Notifications: webhook subscriptions, the transactional outbox and its delivery worker.

The unit of work writes each notifiable ledger event to the outbox in the transaction that
appends it (``ipx.notify.outbox``); the worker (``ipx worker``, or on SQLite a worker process
``ipx serve`` starts beside it) fans each event out to the subscriptions allowed to see it
and delivers Standard Webhooks requests, at least once, with retries (``ipx.notify.delivery``).
"""
