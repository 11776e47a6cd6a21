"""Accounts: inviting a city project lead, the one-time links of invitations and password
resets, and notification preferences. Every write of these goes through a function here
(views, admin and commands call them).

Invariants:
- **An invitation** creates (or, while never used, renews) an active staff account in the
  "Chef de projet ville" group with an *unusable* password, attached to the chosen territories,
  and queues one email (perer/lib/mail.py) holding a link to choose a password. All in one
  transaction: the account, its memberships and the email's job exist together or not at all.
  The username is the email address, lower-cased.
- **One-time links** use Django's `default_token_generator` (the token covers the password hash
  and the last login: it dies once a password is chosen or the user logs in) and expire after
  settings.PASSWORD_RESET_TIMEOUT.
- An address that already has an account that was used (a usable password, or a login) is not
  invited again: `InvitationError`, said to the staff member only (staff see the user list
  anyway); the public reset page never tells whether an address has an account, neither by its
  answer nor by its time: it queues one job for any address (`request_password_reset`), and the
  job looks the accounts up.

Queries: `invite_city_lead` a constant number (one lookup, one insert per table, the job);
`request_password_reset` one insert (the job), whatever the address.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from perer.lib.jobs import retried_task
from perer.lib.mail import EMAIL_QUEUE, send_email
from perer.lib.user_names import display_name
from territories.models import AccountPreferences, TerritoryMembership
from territories.roles import CITY_LEAD_GROUP, is_agglomeration


class InvitationError(Exception):
    """The invitation cannot be sent (the message is French, for the staff member)."""


def link_days():
    """How many days a one-time link lives (PASSWORD_RESET_TIMEOUT, rounded down, at least 1)."""
    return max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1)


def one_time_path(url_name, user):
    """The path of a one-time link for `user` (the uidb64 and token of Django's reset views)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse(url_name, kwargs={"uidb64": uid, "token": token})


def _site(url_root):
    return (url_root or settings.SITE_URL).rstrip("/")


def _taken(username):
    return (
        f"L'identifiant « {username} » est déjà celui d'un autre compte : vérifiez l'adresse, "
        "ou rattachez ce compte aux territoires depuis l'administration des utilisateurs."
    )


def find_account(email):
    return get_user_model().objects.filter(email__iexact=email.strip()).order_by("pk").first()


def invite_city_lead(*, email, first_name, last_name, territories, invited_by=None, url_root=None):
    """Invite a city project lead (see the module docstring); returns the user.

    `territories` a non-empty iterable of Territory; `url_root` the portal's address for the
    link (the request's, else settings.SITE_URL)."""
    email = email.strip()
    territories = list(territories)
    if not territories:
        raise InvitationError("Choisissez au moins un territoire.")
    user_model = get_user_model()
    with transaction.atomic():
        user = find_account(email)
        if user is not None and (user.has_usable_password() or user.last_login is not None):
            raise InvitationError(
                f"Un compte existe déjà pour l'adresse {email} ({user.get_username()}) : "
                "rattachez-le aux territoires depuis l'administration des utilisateurs, ou "
                "envoyez-lui le lien « mot de passe oublié »."
            )
        if user is None:
            username = email.lower()[:150]
            if user_model.objects.filter(username__iexact=username).exists():
                raise InvitationError(_taken(username))
            user = user_model(username=username, email=email)
            user.set_unusable_password()
        if user.is_superuser:
            raise InvitationError("Un superutilisateur ne peut pas être chef de projet ville.")
        user.first_name, user.last_name = first_name.strip(), last_name.strip()
        user.is_active = user.is_staff = True
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as error:  # the same address invited at the same moment
            raise InvitationError(_taken(user.username)) from error
        user.groups.add(Group.objects.get(name=CITY_LEAD_GROUP))
        TerritoryMembership.objects.bulk_create(
            [TerritoryMembership(user=user, territory=territory) for territory in territories],
            ignore_conflicts=True,
        )
        AccountPreferences.objects.get_or_create(user=user)
        site = _site(url_root)
        inviter = display_name(invited_by)
        send_email(
            "invitation",
            [email],
            {
                "user": user,
                "inviter_name": inviter,
                "territories": [territory.name for territory in territories],
                "set_password_url": site + one_time_path("invitation_accept", user),
                "login_url": site + reverse("login"),
                "valid_days": link_days(),
            },
        )
    return user


def reset_recipients(email):
    """The accounts a reset link is sent to for `email`: Django's rule (active accounts with a
    usable password), plus the invited accounts that never chose one (an expired invitation is
    renewed by the reset page)."""
    found = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
    return [
        user
        for user in found
        if (user.has_usable_password() or user.last_login is None)
        and user.email.casefold() == email.casefold()
    ]


def password_reset_email(user, url_root):
    """Queue the email with a link to choose a new password."""
    send_email(
        "password_reset",
        [user.email],
        {
            "user": user,
            "reset_url": _site(url_root) + one_time_path("password_reset_confirm", user),
            "valid_days": link_days(),
        },
    )


@retried_task(attempts=3, backoff=60, queue_name=EMAIL_QUEUE)
def send_password_reset(email, url_root=None):
    """The job: queue the reset email of each account of `email` (none for an unknown address:
    nothing is sent). Returns how many were queued."""
    with transaction.atomic():
        recipients = reset_recipients(email)
        for user in recipients:
            password_reset_email(user, url_root)
    return len(recipients)


def request_password_reset(email, url_root=None):
    """What the reset page does for any address, known or not: queue one job
    (`send_password_reset`) and nothing else, so that the request does the same work, and takes
    the same time, whether the address has an account or not."""
    return send_password_reset.enqueue(email=email, url_root=url_root)


def preferences_of(user):
    """The user's preferences; when they never chose, the defaults for them: the weekly digest
    (meant for the agglomeration, the only ones it is sent to) ticked for agglomeration staff
    and superusers only, campaign reminders for everyone."""
    preferences = AccountPreferences.for_user(user)
    if preferences.pk is None:
        preferences.weekly_digest = is_agglomeration(user)
    return preferences


def save_preferences(user, *, reminders, weekly_digest):
    """Record what `user` wants to receive (one row per user)."""
    preferences, _ = AccountPreferences.objects.update_or_create(
        user=user, defaults={"reminders": reminders, "weekly_digest": weekly_digest}
    )
    return preferences


def never_activated(prefix=""):
    """The rule of an account never activated, as a Q over the users (`prefix`: the lookup from
    the queried model to the user, e.g. "user__"): invited, it never chose a password (still
    unusable) and never logged in (ProConnect included). Such an account gets the invitation and
    one reminder to activate it, never a campaign email (commitments/services/notifications.py)."""
    return Q(
        **{
            f"{prefix}password__startswith": UNUSABLE_PASSWORD_PREFIX,
            f"{prefix}last_login__isnull": True,
        }
    )


def pending_invitations(limit=20):
    """Leads invited who have not chosen a password yet, latest first."""
    return (
        get_user_model()
        .objects.filter(never_activated(), groups__name=CITY_LEAD_GROUP)
        .order_by("-date_joined")[:limit]
    )


def invitation_reminder_context(user, url_root=None):
    """The context of the reminder to activate an invited account: a fresh one-time link."""
    site = _site(url_root)
    return {
        "user": user,
        "set_password_url": site + one_time_path("invitation_accept", user),
        "login_url": site + reverse("login"),
        "valid_days": link_days(),
        "territories": [m.territory.name for m in user.territory_memberships.all()],
    }
