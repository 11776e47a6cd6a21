"""The forms of the account pages (territories/views.py): the two-factor pages (one field, the
code), login, password reset, notification preferences, invitations.

The code itself is checked by the view (territories/two_factor.py), which knows the user and
the request (a wrong code at login counts as a failed login)."""

from hashlib import sha256

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.cache import cache

from perer.lib.admin_mixins import CheckedModelMultipleChoiceField
from territories.accounts import request_password_reset
from territories.models import AccountPreferences, Territory

WRONG_CODE = (
    "Ce code n'est pas valable. Saisissez le code à 6 chiffres affiché en ce moment par votre "
    "application (après plusieurs erreurs, attendez quelques secondes avant de réessayer)."
)
WRONG_LOGIN_CODE = (
    "Ce code n'est pas valable. Saisissez le code à 6 chiffres affiché en ce moment par votre "
    "application, ou un code de secours que vous n'avez pas encore utilisé (après plusieurs "
    "erreurs, attendez quelques secondes avant de réessayer)."
)


class CodeForm(forms.Form):
    """A 6-digit code of the authenticator app."""

    code = forms.CharField(
        label="Code à 6 chiffres",
        max_length=20,
        help_text="Le code affiché par votre application d'authentification, par exemple 123456.",
        error_messages={"required": "Saisissez le code à 6 chiffres de votre application."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "off",
                "spellcheck": "false",
                "size": 10,
            }
        ),
    )

    def __init__(self, *args, autofocus=False, **kwargs):
        super().__init__(*args, **kwargs)
        if autofocus:
            self.fields["code"].widget.attrs["autofocus"] = True


class LoginCodeForm(CodeForm):
    """The second step of a login: a code of the app, or a recovery code."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = "Code de vérification"
        field.help_text = (
            "Le code à 6 chiffres de votre application d'authentification ; sans votre "
            "téléphone, l'un de vos codes de secours (8 lettres et chiffres)."
        )
        field.error_messages["required"] = "Saisissez un code."
        field.widget.attrs["inputmode"] = "text"


# --- Account pages (territories/views.py, services in territories/accounts.py) -----------------


class LoginForm(AuthenticationForm):
    """Django's login form (it passes the request to `authenticate`: django-axes counts the
    failures and locks out), with the portal's wording."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "Identifiant ou mot de passe incorrect. Vérifiez votre saisie (les majuscules "
            "comptent) ; après plusieurs erreurs, la connexion est bloquée pendant une heure."
        ),
        "inactive": "Ce compte est désactivé.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Identifiant"
        self.fields["username"].help_text = "Souvent votre adresse électronique."
        self.fields["username"].error_messages["required"] = "Saisissez votre identifiant."
        self.fields["password"].error_messages["required"] = "Saisissez votre mot de passe."


# One reset email per address at most every so many seconds.
RESET_EMAIL_INTERVAL = 5 * 60


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form: the same answer, and the same work, whatever the address: one job
    queued (territories/accounts.py `request_password_reset`), which finds the accounts and
    queues their emails; nothing is looked up or sent in the request."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = "Adresse électronique"
        field.help_text = "L'adresse de votre compte, par exemple prenom.nom@exemple.fr."
        field.error_messages = {
            "required": "Saisissez votre adresse électronique.",
            "invalid": "Saisissez une adresse électronique valide (prenom.nom@exemple.fr).",
        }

    def save(self, request=None, **kwargs):
        """Queue the job; at most one per address every RESET_EMAIL_INTERVAL seconds (the
        page's answer is the same either way), so that the page cannot be used to flood
        someone's mailbox."""
        email = self.cleaned_data["email"]
        throttle = "perer:password-reset:" + sha256(email.casefold().encode()).hexdigest()
        if not cache.add(throttle, 1, RESET_EMAIL_INTERVAL):
            return
        scheme = "https" if request is not None and request.is_secure() else "http"
        url_root = f"{scheme}://{request.get_host()}" if request is not None else None
        request_password_reset(email, url_root)


class PreferencesForm(forms.ModelForm):
    """Two checkboxes (an unticked box is "no": nothing to get wrong)."""

    class Meta:
        model = AccountPreferences
        fields = ["reminders", "weekly_digest"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_helptext"


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Adresse électronique",
        max_length=254,
        error_messages={
            "required": "Saisissez l'adresse électronique du chef de projet.",
            "invalid": "Saisissez une adresse électronique valide (prenom.nom@ville.fr).",
        },
    )
    first_name = forms.CharField(
        label="Prénom", max_length=150, error_messages={"required": "Saisissez le prénom."}
    )
    last_name = forms.CharField(
        label="Nom", max_length=150, error_messages={"required": "Saisissez le nom."}
    )
    territories = CheckedModelMultipleChoiceField(
        label="Territoires suivis",
        queryset=Territory.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choisissez au moins un territoire.",
            "invalid_choice": "Ce territoire n'existe pas : choisissez dans la liste.",
            "invalid_pk_value": "Ce territoire n'existe pas : choisissez dans la liste.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territories"].queryset = Territory.objects.in_display_order()
        self.fields["email"].widget.attrs.update(autocomplete="off", spellcheck="false")
