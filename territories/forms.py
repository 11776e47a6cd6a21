"""The forms of the two-factor pages (territories/views.py): one field, the code.

The code itself is checked by the view (territories/two_factor.py), which knows the user and
the request (a wrong code at login counts as a failed login)."""

from django import forms

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
