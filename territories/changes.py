"""`territories_changed`: territories/admin.py announces that it saved, deleted or moved
territories — the one signal of the portal, sent explicitly by the write path itself.

Why a signal: every page and PDF of the protocols shows the territories (names, order,
parents), so a change to one is a change of content, which commitments/services/
content_changes.record_change records. `territories` is the lower app and imports nothing from
`commitments` (tests/test_architecture.py), so its admin cannot call that service: it sends
this signal after each write instead, and commitments/apps.py connects `record_change` to it.
Nothing else listens; no model signal (post_save…) is used.

Sent with `territories`: the territories written (instances or a queryset; for a deletion,
before it).
"""

from django.dispatch import Signal

territories_changed = Signal()
