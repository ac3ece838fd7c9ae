"""Notifications: in the app (unread count, list) and by e-mail through an outbox.

Facts reach this app through cases.effects announcements (subscribed in apps.py) and through
`notifications.actions.notify()`, which other apps call inside their own transaction. Every
notification and its outbox row is written in the transaction of the change that causes it; the
worker sends the outbox after commit (notifications.outbox.send_due) with retries, and the daily
digests (notifications.digest.send_digests).
"""
