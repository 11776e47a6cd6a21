"""Small typed readers of environment variables that fail loudly on a bad value."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} n'est pas un booléen : utilisez l'une des valeurs "
        f"{sorted(_TRUE | (_FALSE - {''}))}."
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} n'est pas un entier.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- Email --------------------------------------------------------------------------------------

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# EMAIL_URL scheme -> (backend, use TLS (STARTTLS), use SSL, default port)
EMAIL_SCHEMES = {
    "smtp": (SMTP_BACKEND, False, False, 25),
    "smtp+tls": (SMTP_BACKEND, True, False, 587),
    "smtp+ssl": (SMTP_BACKEND, False, True, 465),
    "console": (CONSOLE_BACKEND, False, False, None),
    "locmem": (LOCMEM_BACKEND, False, False, None),
}


def _email_url(raw: str) -> dict:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(raw.strip())
    scheme = parts.scheme.lower()
    if scheme not in EMAIL_SCHEMES:
        raise ImproperlyConfigured(
            f"EMAIL_URL={raw!r} : schéma inconnu. Utilisez l'un de "
            f"{', '.join(s + '://' for s in EMAIL_SCHEMES)} (par exemple "
            "smtp+tls://utilisateur:<mot de passe>@smtp.example.org:587)."
        )
    backend, use_tls, use_ssl, default_port = EMAIL_SCHEMES[scheme]
    settings = {"EMAIL_BACKEND": backend, "EMAIL_USE_TLS": use_tls, "EMAIL_USE_SSL": use_ssl}
    if backend != SMTP_BACKEND:
        return settings
    try:
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured("EMAIL_URL : le port n'est pas un nombre valable.") from exc
    if not parts.hostname:
        raise ImproperlyConfigured(
            "EMAIL_URL : indiquez le serveur SMTP, par exemple smtp://smtp.example.org:25."
        )
    settings.update(
        EMAIL_HOST=parts.hostname,
        EMAIL_PORT=port or default_port,
        EMAIL_HOST_USER=unquote(parts.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
    )
    return settings


def env_email(debug: bool) -> dict:
    """The EMAIL_* settings from the environment (documented in README and docs/deployment.md).

    EMAIL_URL wins: smtp://user:<password>@host:port (plain, port 25 by default),
    smtp+tls:// (STARTTLS, 587), smtp+ssl:// (implicit TLS, 465), console://, locmem://;
    user and password percent-encoded. Otherwise EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
    EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL (Django's names). Nothing set: the
    console backend when `debug`, else SMTP on localhost:25 (the machine's mail server).
    A bad value raises ImproperlyConfigured (the application does not start).
    """
    timeout = env_int("EMAIL_TIMEOUT", 10)
    raw_url = os.environ.get("EMAIL_URL", "").strip()
    if raw_url:
        settings = _email_url(raw_url)
    elif os.environ.get("EMAIL_HOST", "").strip() or not debug:
        settings = {
            "EMAIL_BACKEND": SMTP_BACKEND,
            "EMAIL_HOST": env_str("EMAIL_HOST", "localhost").strip() or "localhost",
            "EMAIL_PORT": env_int("EMAIL_PORT", 25),
            "EMAIL_HOST_USER": env_str("EMAIL_HOST_USER", ""),
            "EMAIL_HOST_PASSWORD": env_str("EMAIL_HOST_PASSWORD", ""),
            "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS", False),
            "EMAIL_USE_SSL": env_bool("EMAIL_USE_SSL", False),
        }
    else:
        settings = {
            "EMAIL_BACKEND": CONSOLE_BACKEND,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
        }
    if settings["EMAIL_USE_TLS"] and settings["EMAIL_USE_SSL"]:
        raise ImproperlyConfigured(
            "EMAIL_USE_TLS et EMAIL_USE_SSL s'excluent : choisissez STARTTLS (587) ou SSL (465)."
        )
    port = settings.get("EMAIL_PORT")
    if port is not None and not 0 < port < 65536:
        raise ImproperlyConfigured(f"EMAIL_PORT={port} n'est pas un port (1 à 65535).")
    settings["EMAIL_TIMEOUT"] = timeout
    return settings


# --- ProConnect ---------------------------------------------------------------------------------

PROCONNECT_VARIABLES = (
    "PROCONNECT_DISCOVERY_URL",
    "PROCONNECT_CLIENT_ID",
    "PROCONNECT_CLIENT_SECRET",
)
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def env_proconnect() -> dict | None:
    """ProConnect's client settings (territories/proconnect/), or None when it is not used.

    The three PROCONNECT_* variables go together: none set (or all empty) is None (no button,
    the ProConnect addresses answer 404); some but not all raises ImproperlyConfigured, naming
    the missing ones. The discovery URL is https, or http on the loopback (a provider started by
    the tests or on a developer's machine).
    """
    from urllib.parse import urlsplit

    values = {name: os.environ.get(name, "").strip() for name in PROCONNECT_VARIABLES}
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(PROCONNECT_VARIABLES):
        return None
    if missing:
        raise ImproperlyConfigured(
            "ProConnect n'est configuré qu'en partie : définissez aussi "
            f"{', '.join(missing)} (ou aucune des trois variables {', '.join(PROCONNECT_VARIABLES)}"
            " pour ne pas proposer ProConnect)."
        )
    url = values["PROCONNECT_DISCOVERY_URL"]
    parts = urlsplit(url)
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
    )
    if not (secure and parts.hostname):
        raise ImproperlyConfigured(
            f"PROCONNECT_DISCOVERY_URL={url!r} : indiquez l'adresse https du document de "
            "découverte, par exemple "
            "https://auth.agentconnect.gouv.fr/api/v2/.well-known/openid-configuration."
        )
    return {
        "discovery_url": url,
        "client_id": values["PROCONNECT_CLIENT_ID"],
        "client_secret": values["PROCONNECT_CLIENT_SECRET"],
    }


def proconnect_form_action(config: dict | None) -> list[str]:
    """What the Content Security Policy's form-action must allow besides 'self': the login
    button and the logout forms are answered by a redirect to ProConnect's pages (its
    authorization and end-of-session endpoints, on the discovery document's host), and browsers
    check form-action on the redirects after a form too."""
    if config is None:
        return []
    from urllib.parse import urlsplit

    parts = urlsplit(config["discovery_url"])
    return [f"{parts.scheme}://{parts.netloc}"]
