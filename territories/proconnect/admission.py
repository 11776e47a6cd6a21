"""Who may sign in with ProConnect: ProConnect authenticates, the portal authorises. Every write
of a ProConnectLink goes through a function here (the sign-in page and the admin call them).

Invariants:
- Only an account that exists (invited by the agglomeration, or made by its staff) may sign in;
  none is ever created here.
- An identity is matched by its `sub` once linked; the first time, by its email address
  (case-insensitive; ProConnect's addresses are verified, one it says is not verified is not
  used) among the accounts, and its `sub` is then stored with the account.
- Refused, with the reason (`NotAdmitted.reason`): "unknown" (no account has the address, or no
  usable address), "ambiguous" (several accounts share it), "inactive" (the account is
  deactivated), "linked_elsewhere" (the address's account is linked to another ProConnect
  identity: never taken over silently; staff remove the old link first).
- An account has at most one link, a `sub` belongs to at most one account (unique columns).

Queries: `admit` at most four (the link with its user, the accounts of the address, the insert
or the update).
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from territories.models import ProConnectLink


class NotAdmitted(Exception):
    """The identity may not sign in; `reason` says why (module docstring)."""

    def __init__(self, reason, user=None):
        super().__init__(reason)
        self.reason = reason
        self.user = user


def admit(identity):
    """The account `identity` (territories/proconnect/oidc.Identity) signs in to, its link
    written or refreshed; raises NotAdmitted."""
    now = timezone.now()
    link = ProConnectLink.objects.select_related("user").filter(sub=identity.sub).first()
    if link is not None:
        if not link.user.is_active:
            raise NotAdmitted("inactive", link.user)
        ProConnectLink.objects.filter(pk=link.pk).update(
            email=identity.email or link.email, last_login_at=now
        )
        return link.user
    if not identity.email:
        raise NotAdmitted("unknown")
    users = list(
        get_user_model()
        .objects.filter(email__iexact=identity.email)
        .select_related("proconnect_link")
        .order_by("pk")[:2]
    )
    if not users:
        raise NotAdmitted("unknown")
    if len(users) > 1:
        raise NotAdmitted("ambiguous")
    (user,) = users
    if not user.is_active:
        raise NotAdmitted("inactive", user)
    if hasattr(user, "proconnect_link"):
        raise NotAdmitted("linked_elsewhere", user)
    try:
        with transaction.atomic():
            ProConnectLink.objects.create(
                user=user, sub=identity.sub, email=identity.email, last_login_at=now
            )
    except IntegrityError as error:  # the same account or sub linked at the same moment
        raise NotAdmitted("linked_elsewhere", user) from error
    return user


def unlink(user):
    """Remove `user`'s link to ProConnect (their next sign-in with ProConnect is matched by
    email again). Returns whether there was one."""
    deleted, _ = ProConnectLink.objects.filter(user=user).delete()
    return bool(deleted)
