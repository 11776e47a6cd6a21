"""Settings of the PERER portal: one module, read from the environment.

Development needs no configuration (SQLite file, DEBUG on). Production is DEBUG=0 with a real
SECRET_KEY, ALLOWED_HOSTS and usually DATABASE_URL=postgres://… and REDIS_URL=redis://….
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from perer.env import (
    env_bool,
    env_email,
    env_int,
    env_list,
    env_proconnect,
    env_str,
    proconnect_form_action,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DEBUG est désactivé : définissez SECRET_KEY (au moins 50 caractères, jamais la clé de "
        "développement)."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Public base URL used in feeds and PDFs when no request is at hand.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "csp",
    "axes",
    # Two-factor authentication (territories/two_factor.py); their admin is the user admin's.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Background jobs: Django's Tasks API (backport) with its database backend (perer/lib/jobs.py).
    "django_tasks",
    "perer.lib.jobs_app.JobsAppConfig",  # django_tasks_db, named in French
    "territories",
    "commitments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # 405 to a method a page does not serve, OPTIONS with Allow: its process_view comes first.
    "perer.lib.http_methods.AllowedMethodsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "territories.middleware.TwoFactorMiddleware",
    "territories.proconnect.logout.ProConnectLogoutMiddleware",
]

ROOT_URLCONF = "perer.urls"
WSGI_APPLICATION = "perer.wsgi.application"

# One template engine, Django's. Its compiled templates are kept for the process by the cached
# loader, named here: Django adds it by itself only when `loaders` is not set, and a loader
# added later without it would compile every template on every render. In development the
# autoreloader empties it when a template changes (django.template.autoreload).
TEMPLATE_LOADERS = [
    (
        "django.template.loaders.cached.Loader",
        [
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    )
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "territories.proconnect.pages.button_context",
                "territories.views.header_context",
            ],
            "loaders": TEMPLATE_LOADERS,
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several people saving at once wait for each other instead of failing with « database is
    # locked »: every transaction takes the write lock when it begins (no failed lock upgrade
    # after a read), waits up to SQLITE_TIMEOUT seconds for it, and readers never block the
    # writer (WAL). Tested in tests/perer/test_sqlite_concurrency.py.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_TIMEOUT", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Each test worker or session may set its own test database name.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "test_perer")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "perer"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "perer",
        }
    }

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Pages that need an account send anonymous visitors to the site's login page (/compte/connexion/;
# the admin keeps its own, /admin/login/).
LOGIN_URL = "login"

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# A failure's posted fields are stored (AccessAttempt.post_data): every secret masked, those of
# the password change and of the two-factor step too (django-axes masks "password" only).
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "code",  # the two-factor step's
    "old_password",  # the password change's
    "new_password1",  # (the new one, typed twice)
    "new_password2",
]

# Two-factor authentication (TOTP, django-otp): offered to every account; required for the
# "Agglomération" group and superusers when this is on (by default in production only).
OTP_REQUIRED_FOR_AGGLOMERATION = env_bool("OTP_REQUIRED_FOR_AGGLOMERATION", not DEBUG)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Engagements PERER")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Sign in with ProConnect (territories/proconnect/): PROCONNECT_DISCOVERY_URL,
# PROCONNECT_CLIENT_ID and PROCONNECT_CLIENT_SECRET together (perer/env.py `env_proconnect`);
# None: no button, the ProConnect addresses answer 404. Only existing accounts may sign in.
PROCONNECT = env_proconnect()
# A sign-in where ProConnect says a second factor was used (amr "mfa", or an acr of this list)
# stands for the portal's own code (TOTP); off: the code is asked as after a password.
PROCONNECT_MFA_REPLACES_TOTP = env_bool("PROCONNECT_MFA_REPLACES_TOTP", True)
PROCONNECT_MFA_ACR_VALUES = env_list(
    "PROCONNECT_MFA_ACR_VALUES",
    [
        "eidas2",
        "eidas3",
        "https://proconnect.gouv.fr/assurance/self-asserted-2fa",
        "https://proconnect.gouv.fr/assurance/consistency-checked-2fa",
    ],
)
# Seconds to wait for each answer of ProConnect's servers (discovery, token, keys, userinfo).
PROCONNECT_TIMEOUT = env_int("PROCONNECT_TIMEOUT", 10)

# Background jobs (perer/lib/jobs.py): Django's Tasks API through the django-tasks backport and
# its database backend, on SQLite and PostgreSQL alike, in tests too (tests run the queue with a
# real worker, in process or as `manage.py db_worker`). Workers are separate processes:
# `manage.py db_worker --queue-name '*'` (`make run` starts one beside the server).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "emails", "pdf"],
    }
}
# Email (perer/env.py `env_email`): EMAIL_URL, or EMAIL_HOST…; console in development, SMTP in
# production. Every email is rendered from templates/emails/ and sent by a job of the "emails"
# queue (perer/lib/mail.py).
_EMAIL = env_email(DEBUG)
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = _EMAIL.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _EMAIL.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _EMAIL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _EMAIL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _EMAIL["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _EMAIL["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _EMAIL["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Engagements PERER <ne-pas-repondre@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# A job still "running" after this many seconds lost its worker: `requeue_lost_jobs` puts it
# back in its queue (no job of the portal runs that long).
JOBS_LOST_AFTER = env_int("JOBS_LOST_AFTER", 30 * 60)

LANGUAGE_CODE = "fr-fr"
# French names of third-party models shown in the admin (background jobs): perer/locale/.
LOCALE_PATHS = [BASE_DIR / "perer" / "locale"]
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("API_ANON_RATE", "600/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API des engagements PERER — Grand Paris Sud",
    "DESCRIPTION": "Données ouvertes des Protocoles d'Engagements Renforcés et Réciproques.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise send the schema's URL to validator.swagger.io (a third party).
    # No deep links: they put a link inside each operation's button (axe: nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "validatorUrl": None},
}

# Security: strict by default outside development.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The client's address, for login throttling (django-axes) and the API's throttle. Behind the
# proxy: the last X-Forwarded-For entry, the one nginx appends; otherwise the socket's. Never
# an entry the client wrote itself (else each forged header would get a fresh quota).
PROXY_COUNT = 1 if env_bool("BEHIND_PROXY", False) else 0
REST_FRAMEWORK["NUM_PROXIES"] = PROXY_COUNT


def _client_ip(request):
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if PROXY_COUNT and forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR")


AXES_CLIENT_IP_CALLABLE = _client_ip

# No inline script anywhere: every script is a static file served by the app.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # ProConnect's login and logout pages follow the portal's forms (a redirect).
        "form-action": ["'self'", *proconnect_form_action(PROCONNECT)],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Positions are unique per parent with a deferred constraint (drag-and-drop reordering swaps
# positions inside one transaction). SQLite cannot defer, so there the constraint is skipped;
# PostgreSQL, the production database, enforces it.
SILENCED_SYSTEM_CHECKS = ["models.W038"]
