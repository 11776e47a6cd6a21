"""Sign in with ProConnect, the public agents' single sign-on (the State's OpenID Connect
federation): ProConnect authenticates, the portal authorises.

- oidc.py: the protocol (authlib): discovery, authorization code with state, nonce and PKCE,
  the ID token and the signed userinfo answer checked, the logout address.
- admission.py: who may enter (an existing account, matched by `sub` once linked, else by email
  the first time) and the link user ↔ `sub` (territories.models.ProConnectLink).
- pages.py: /compte/proconnect/ (start), /compte/proconnect/retour/ (callback),
  /compte/proconnect/deconnexion/ (back from ProConnect's logout), the button's context.
- logout.py: logging out of the portal ends the ProConnect session too.

Configured by PROCONNECT_DISCOVERY_URL, PROCONNECT_CLIENT_ID, PROCONNECT_CLIENT_SECRET
(perer/env.py); not configured, nothing of this is reachable.
"""
