// A real OpenID Connect provider for the ProConnect tests: oidc-provider (npm, by panva) set up
// like ProConnect, started by tests/support/proconnect.py on a loopback port. Nothing here is
// served to visitors of the portal.
//
// Like ProConnect: issuer and endpoints under /api/v2 (discovery at
// /api/v2/.well-known/openid-configuration), the scopes `openid email given_name usual_name uid
// siret`, ID tokens and userinfo answers signed (RS256, userinfo as `application/jwt`), `acr` and
// `amr` saying whether a second factor was used, PKCE (S256), RP-initiated logout
// (end_session_endpoint with id_token_hint, state and post_logout_redirect_uri), client
// authentication by client_secret_post.
//
// The login page (/interaction/<uid>) asks for an email address; the account's `sub` is derived
// from it unless the form gives one; the box « Double authentification effectuée » makes the
// login a multi-factor one. « Annuler » answers access_denied, as when an agent cancels.
//
// Test controls (loopback only, JSON): POST /__test__/mode {"id_token": "normal" | "other_key" |
// "expired" | "other_audience" | "other_issuer" | "other_nonce", "userinfo": "normal" |
// "other_key", "clock_offset": seconds} changes what the following answers carry: an ID token or
// a userinfo answer signed with a key that is not the provider's (same `kid`), an ID token
// signed by the provider but expired an hour ago or for another client, issuer or sign-in, or
// the provider's clock moved (codes expire after 60 seconds). POST /__test__/reset puts
// everything back.
//
// Configuration: the environment variable OIDC_PROVIDER_CONFIG, JSON: {"port", "client_id",
// "client_secret", "redirect_uris", "post_logout_redirect_uris", "now_ms"}. `now_ms` is the
// test process's clock (it may run days ahead: PERER_CLOCK_OFFSET_DAYS); this process's clock is
// set to it. The process prints "listening <issuer>" once ready.

import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

const config = JSON.parse(process.env.OIDC_PROVIDER_CONFIG);
const PREFIX = '/api/v2';
const SCOPES = ['openid', 'email', 'given_name', 'usual_name', 'uid', 'siret'];
const ACR_ONE_FACTOR = 'eidas1';
const ACR_TWO_FACTORS = 'https://proconnect.gouv.fr/assurance/self-asserted-2fa';

// --- The clock: the test process's, plus the offset a test asks for -------------------------
const RealDate = Date;
const startOffset = config.now_ms - RealDate.now();
let extraOffset = 0;
const shift = () => startOffset + extraOffset * 1000;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + shift());
    else super(...args);
  }

  static now() {
    return RealDate.now() + shift();
  }
};

// Imported once the clock is set (they read it when they run, not when they load).
const { default: Provider } = await import('oidc-provider');
const jose = await import('jose');

const epoch = () => Math.floor(Date.now() / 1000);

// --- Keys: the provider's, and another one with the same kid for the "wrong key" answers -------
async function privateJwk(kid) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}
const KID = 'perer-test-key';
const providerKey = await privateJwk(KID);
const otherKey = await jose.importJWK(await privateJwk(KID), 'RS256');
const ownKey = await jose.importJWK(providerKey, 'RS256');

let mode = { id_token: 'normal', userinfo: 'normal' };
// ID tokens signed by the provider's own key, one claim spoilt.
const SPOILT_CLAIMS = {
  expired: (claims) => { claims.iat = epoch() - 2 * 3600; claims.exp = epoch() - 3600; },
  other_audience: (claims) => { claims.aud = 'un-autre-service'; },
  other_issuer: (claims) => { claims.iss = 'https://faux-proconnect.example.org/api/v2'; },
  other_nonce: (claims) => { claims.nonce = 'nonce-d-une-autre-connexion'; },
};

async function resign(jwt, key, changeClaims) {
  const claims = { ...jose.decodeJwt(jwt) };
  changeClaims?.(claims);
  const header = jose.decodeProtectedHeader(jwt);
  return new jose.SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid, typ: header.typ }).sign(key);
}

// --- Accounts: made at login from what the form says --------------------------------------------
const accounts = new Map();

function accountFor(email, sub) {
  const normalized = email.trim();
  const id = sub || `sub-${createHash('sha256').update(normalized.toLowerCase()).digest('hex').slice(0, 24)}`;
  const [local] = normalized.split('@');
  const [given, ...rest] = local.split('.');
  accounts.set(id, {
    sub: id,
    email: normalized,
    given_name: given || 'Agent',
    usual_name: rest.join(' ') || 'Public',
    uid: `uid-${id}`,
    siret: '20009063500019',
  });
  return id;
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><link rel="icon" href="data:,"></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

const provider = new Provider(`http://127.0.0.1:${config.port}${PREFIX}`, {
  clients: [
    {
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      post_logout_redirect_uris: config.post_logout_redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
      userinfo_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [providerKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: SCOPES,
  claims: {
    acr: null,
    amr: null,
    auth_time: null,
    sid: null,
    openid: ['sub'],
    email: ['email'],
    given_name: ['given_name'],
    usual_name: ['usual_name'],
    uid: ['uid'],
    siret: ['siret'],
  },
  acrValues: [ACR_ONE_FACTOR, ACR_TWO_FACTORS],
  routes: {
    authorization: '/authorize',
    token: '/token',
    userinfo: '/userinfo',
    jwks: '/jwks',
    end_session: '/session/end',
  },
  pkce: { required: () => false },
  ttl: {
    AccessToken: 60 * 60,
    AuthorizationCode: 60,
    IdToken: 60 * 60,
    Interaction: 60 * 60,
    Session: 60 * 60,
    Grant: 60 * 60,
  },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page(
          'Se déconnecter de ProConnect (fournisseur de test)',
          `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Se déconnecter</button>`,
        );
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Vous êtes déconnecté de ProConnect (fournisseur de test)', '');
      },
    },
  },
  interactions: { url: async (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const claims = accounts.get(id);
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { ...claims }; } };
  },
  // Every scope asked for is granted: no consent page (ProConnect asks none).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(SCOPES.join(' '));
    grant.addOIDCClaims(['acr', 'amr']);
    await grant.save();
    return grant;
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Erreur du fournisseur de test', `<pre>${escapeHtml(JSON.stringify(out))}</pre>`);
  },
});

// The answers a test asked to spoil: ID token and userinfo.
provider.middleware.unshift(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
    if (mode.id_token === 'other_key') {
      ctx.body = { ...ctx.body, id_token: await resign(ctx.body.id_token, otherKey) };
    } else if (mode.id_token in SPOILT_CLAIMS) {
      ctx.body = { ...ctx.body, id_token: await resign(ctx.body.id_token, ownKey, SPOILT_CLAIMS[mode.id_token]) };
    }
  }
  if (ctx.path === '/userinfo' && ctx.status === 200 && mode.userinfo === 'other_key') {
    ctx.body = await resign(String(ctx.body), otherKey);
  }
});

const callback = provider.callback();

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': type, ...headers });
  res.end(body);
}

async function interaction(req, res, path) {
  const [, , uid, action] = path.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction inconnue');
  if (req.method === 'GET' && !action) {
    const form = `<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<p><label for="email">Adresse électronique</label> <input id="email" name="email" type="email" required></p>
<p><label for="sub">Identifiant ProConnect (sub, facultatif)</label> <input id="sub" name="sub"></p>
<p><input id="mfa" name="mfa" type="checkbox" value="1"> <label for="mfa">Double authentification effectuée</label></p>
<p><button type="submit">Se connecter</button></p></form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Annuler</button></form>`;
    return send(res, 200, 'text/html; charset=utf-8', page('ProConnect (fournisseur de test) : connexion', form));
  }
  if (req.method === 'POST' && action === 'login') {
    const form = new URLSearchParams(await readBody(req));
    const email = form.get('email') || '';
    if (!email.includes('@')) return send(res, 400, 'text/plain', 'adresse électronique attendue');
    const mfa = form.get('mfa') === '1';
    const accountId = accountFor(email, (form.get('sub') || '').trim());
    const login = mfa
      ? { accountId, acr: ACR_TWO_FACTORS, amr: ['pwd', 'totp', 'mfa'] }
      : { accountId, acr: ACR_ONE_FACTOR, amr: ['pwd'] };
    return provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
  }
  if (req.method === 'POST' && action === 'abort') {
    const result = { error: 'access_denied', error_description: "L'agent a annulé la connexion." };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  return send(res, 405, 'text/plain', 'méthode non permise');
}

async function control(req, res, path) {
  if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST');
  if (path === '/__test__/reset') {
    mode = { id_token: 'normal', userinfo: 'normal' };
    extraOffset = 0;
  } else if (path === '/__test__/mode') {
    const asked = JSON.parse((await readBody(req)) || '{}');
    if ('clock_offset' in asked) extraOffset = Number(asked.clock_offset);
    mode = { ...mode, ...Object.fromEntries(Object.entries(asked).filter(([k]) => k !== 'clock_offset')) };
  } else {
    return send(res, 404, 'text/plain', 'inconnu');
  }
  return send(res, 200, 'application/json', JSON.stringify({ ...mode, clock_offset: extraOffset }));
}

const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  try {
    if (path === PREFIX || path.startsWith(`${PREFIX}/`)) {
      // Mounted under /api/v2, as ProConnect's endpoints are.
      req.originalUrl = req.url;
      req.url = req.url.slice(PREFIX.length) || '/';
      return await callback(req, res);
    }
    if (path.startsWith('/interaction/')) return await interaction(req, res, path);
    if (path.startsWith('/__test__/')) return await control(req, res, path);
    return send(res, 404, 'text/plain', 'introuvable');
  } catch (error) {
    process.stderr.write(`${error.stack}\n`);
    if (!res.headersSent) send(res, 500, 'text/plain', String(error));
    return undefined;
  }
});

server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${config.port}${PREFIX}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
