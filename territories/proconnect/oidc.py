"""ProConnect's side of a sign-in: the OpenID Connect authorization code flow, with authlib's
Django client (state, nonce, PKCE, the token request, the ID token's checks) and joserfc for the
signed userinfo answer. No JWT is read here by hand.

- `enabled()`: settings.PROCONNECT holds the three PROCONNECT_* settings, or None.
- `authorization_redirect(request, redirect_uri, next_url)`: the address of ProConnect's login,
  after recording `state`, `nonce`, the PKCE verifier (when the provider offers S256) and where
  to go afterwards in the session, under the state (authlib's storage; one hour).
- `finish(request)`: the callback. Checks, in this order: an `error` from the provider, the
  `state` (one use), the `iss` of the answer (RFC 9207, when present), the code at the token
  endpoint, the ID token (signature by a key of the provider's JWKS, `iss`, `aud` = our client,
  `exp`/`iat` with LEEWAY seconds, `nonce`), then the userinfo answer: a JWT signed by the
  provider (`application/jwt`, ProConnect's answer: signature, `iss`, `aud`) or JSON, whose `sub`
  must be the ID token's. Returns the `Identity`; any failure raises `ProConnectError` with a
  `reason` (its French message in MESSAGES).
- `logout_url(id_token, state, return_uri)`: ProConnect's end_session_endpoint with
  `id_token_hint`, `state` and `post_logout_redirect_uri`; None when the provider has none.
- `used_second_factor(identity)`: whether `acr`/`amr` say a second factor was used
  (settings.PROCONNECT_MFA_ACR_VALUES, or "mfa" in `amr`).

The discovery document is cached (METADATA_TTL seconds); the keys (JWKS) are read at every
callback, so that a new key of the provider is known at once. Each call to the provider waits at
most settings.PROCONNECT_TIMEOUT seconds. Only asymmetric signatures are accepted.
"""

import hashlib
import json
import logging
from dataclasses import dataclass

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoIntegration, OAuth
from django.conf import settings
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

logger = logging.getLogger("perer.security")

NAME = "proconnect"
SCOPES = "openid email given_name usual_name uid siret"
# ProConnect puts `amr` in the ID token only when it is asked for as an essential claim.
CLAIMS_REQUEST = json.dumps({"id_token": {"amr": {"essential": True}}}, separators=(",", ":"))
METADATA_TTL = 60 * 60
LEEWAY = 60  # seconds of clock difference tolerated on exp, iat and nbf
SIGNATURE_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
REQUIRED_METADATA = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
)

MESSAGES = {
    "cancelled": "Vous avez annulé la connexion avec ProConnect : vous n'êtes pas connecté.",
    "refused": (
        "ProConnect n'a pas pu vous connecter. Réessayez, ou connectez-vous avec votre "
        "identifiant et votre mot de passe."
    ),
    "unavailable": (
        "ProConnect ne répond pas pour le moment. Réessayez dans quelques minutes, ou "
        "connectez-vous avec votre identifiant et votre mot de passe."
    ),
    "state": (
        "Cette connexion avec ProConnect n'est plus valable (elle a expiré, a déjà servi, ou a "
        "été commencée dans un autre navigateur) : cliquez de nouveau sur « S'identifier avec "
        "ProConnect »."
    ),
    "code": (
        "Le code de connexion envoyé par ProConnect n'est plus valable (déjà utilisé ou "
        "expiré) : cliquez de nouveau sur « S'identifier avec ProConnect »."
    ),
    "token": (
        "La réponse de ProConnect n'a pas pu être vérifiée : la connexion est refusée. "
        "Réessayez ; si cela se reproduit, prévenez l'agglomération."
    ),
}


class ProConnectError(Exception):
    """A sign-in that cannot go on. `reason` is a key of MESSAGES; `detail` is for the log."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail

    @property
    def message(self):
        return MESSAGES[self.reason]


@dataclass(frozen=True)
class Identity:
    """Who ProConnect says signed in (the userinfo claims, checked) and how."""

    sub: str
    email: str  # "" when ProConnect gave none, or said it is not verified (email_verified false)
    acr: str
    amr: tuple
    id_token: str  # the raw ID token, for the logout's id_token_hint


def enabled():
    return settings.PROCONNECT is not None


def used_second_factor(identity):
    return "mfa" in identity.amr or identity.acr in settings.PROCONNECT_MFA_ACR_VALUES


# --- The provider's metadata and the client ---------------------------------------------------


def _fetch_json(url):
    try:
        response = requests.get(
            url, timeout=settings.PROCONNECT_TIMEOUT, headers={"Accept": "application/json"}
        )
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProConnectError("unavailable", f"{url}: {error}") from error


def metadata():
    """The provider's discovery document (cached), its signature algorithms narrowed to
    SIGNATURE_ALGORITHMS."""
    url = settings.PROCONNECT["discovery_url"]
    key = "proconnect:metadata:" + hashlib.sha256(url.encode()).hexdigest()
    found = cache.get(key)
    if found is not None:
        return found
    document = _fetch_json(url)
    if not isinstance(document, dict) or not all(
        isinstance(document.get(name), str) and document[name] for name in REQUIRED_METADATA
    ):
        raise ProConnectError("unavailable", f"{url}: not a discovery document")
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    document["id_token_signing_alg_values_supported"] = [
        name for name in offered if name in SIGNATURE_ALGORITHMS
    ]
    cache.set(key, document, METADATA_TTL)
    return document


def _client(document):
    """authlib's Django client for ProConnect: client_secret_post when the provider offers it
    (ProConnect does), PKCE when it offers S256."""
    auth_methods = document.get("token_endpoint_auth_methods_supported") or []
    client_kwargs = {
        "scope": SCOPES,
        "default_timeout": settings.PROCONNECT_TIMEOUT,
        "token_endpoint_auth_method": (
            "client_secret_post" if "client_secret_post" in auth_methods else "client_secret_basic"
        ),
    }
    if "S256" in (document.get("code_challenge_methods_supported") or []):
        client_kwargs["code_challenge_method"] = "S256"
    config = settings.PROCONNECT
    return OAuth().register(
        NAME,
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        client_kwargs=client_kwargs,
        **document,
    )


# --- The flow ---------------------------------------------------------------------------------


def authorization_redirect(request, redirect_uri, next_url):
    """ProConnect's login address for this sign-in (its state recorded in the session)."""
    client = _client(metadata())
    try:
        found = client.create_authorization_url(redirect_uri, claims=CLAIMS_REQUEST)
    except requests.RequestException as error:
        raise ProConnectError("unavailable", str(error)) from error
    client.save_authorize_data(request, redirect_uri=redirect_uri, next=next_url, **found)
    return found["url"]


def pending_next(request):
    """Where the sign-in of the callback's `state` was to go (None when the state is unknown)."""
    data = DjangoIntegration(NAME).get_state_data(request.session, request.GET.get("state", ""))
    return (data or {}).get("next")


def finish(request):
    """The callback's checks (module docstring); returns the Identity."""
    error = request.GET.get("error")
    if error:
        reason = "cancelled" if error == "access_denied" else "refused"
        raise ProConnectError(reason, f"{error}: {request.GET.get('error_description', '')}")
    document = metadata()
    client = _client(document)
    issuer = request.GET.get("iss")
    if issuer is not None and issuer != document["issuer"]:
        raise ProConnectError("token", f"iss {issuer!r} of the answer is not the provider's")
    if not request.GET.get("code"):
        raise ProConnectError("refused", "no code in the answer")
    claims_options = {
        "iss": {"essential": True, "value": document["issuer"]},
        "aud": {"essential": True, "value": settings.PROCONNECT["client_id"]},
    }
    try:
        token = client.authorize_access_token(request, claims_options=claims_options, leeway=LEEWAY)
        id_claims = token.get("userinfo")
        if not id_claims or not token.get("access_token"):  # nothing says who signed in
            raise ProConnectError("token", "no id_token or access_token in the token answer")
        claims = _userinfo(client, document, token)
    except MismatchingStateError as error:
        raise ProConnectError("state", "unknown or already used state") from error
    except OAuthError as error:
        reason = "code" if error.error == "invalid_grant" else "refused"
        raise ProConnectError(reason, f"{error.error}: {error.description}") from error
    except JoseError as error:
        raise ProConnectError("token", f"{type(error).__name__}: {error}") from error
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else 500
        raise ProConnectError("unavailable" if status >= 500 else "refused", str(error)) from error
    except (requests.RequestException, ValueError) as error:
        raise ProConnectError("unavailable", str(error)) from error
    if claims.get("sub") != id_claims["sub"]:
        raise ProConnectError("token", "the userinfo sub is not the ID token's")
    amr = id_claims.get("amr") or ()
    return Identity(
        sub=id_claims["sub"],
        email=str(claims.get("email") or "").strip()
        if claims.get("email_verified") is not False
        else "",
        acr=str(id_claims.get("acr") or ""),
        amr=tuple(str(method) for method in amr),
        id_token=token["id_token"],
    )


def _userinfo(client, document, token):
    """The userinfo claims: a JWT signed by the provider (checked), or JSON."""
    response = client.get(document["userinfo_endpoint"], token=token)
    response.raise_for_status()
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != "application/jwt":
        claims = response.json()
        if not isinstance(claims, dict):
            raise ValueError("the userinfo answer is not an object")
        return claims
    algorithms = [
        name
        for name in document.get("userinfo_signing_alg_values_supported") or ["RS256"]
        if name in SIGNATURE_ALGORITHMS
    ]
    value = response.text.strip()
    try:
        decoded = jwt.decode(value, KeySet.import_key_set(client.fetch_jwk_set()), algorithms)
    except InvalidKeyIdError:  # a key published since the ID token's check
        keys = KeySet.import_key_set(client.fetch_jwk_set(force=True))
        decoded = jwt.decode(value, keys, algorithms)
    jwt.JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "value": document["issuer"]},
        aud={"essential": True, "value": settings.PROCONNECT["client_id"]},
        sub={"essential": True},
    ).validate(decoded.claims)
    return decoded.claims


def logout_url(id_token, state, return_uri):
    """ProConnect's end of session for the ID token's session, coming back to `return_uri`
    with `state`; None when the provider has no end_session_endpoint or cannot be reached."""
    try:
        document = metadata()
    except ProConnectError as error:
        logger.warning("Déconnexion de ProConnect impossible : %s", error.detail)
        return None
    if not document.get("end_session_endpoint"):
        return None
    found = _client(document).create_logout_url(
        post_logout_redirect_uri=return_uri, id_token_hint=id_token, state=state
    )
    return found["url"]
