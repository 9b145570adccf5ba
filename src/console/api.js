// api.js — the signed-in session and every call to the tenantd API.
//
// The session (tokens, who signed in, when the access token expires) lives
// in memory and in sessionStorage (this tab only; gone when the tab
// closes). The access token is refreshed a minute before it expires; an
// owner who switched into a tenant holds that tenant's token (which has no
// refresh token) and keeps its own session as `parent`, from which the
// switch is made again. A failed API call throws an ApiError carrying the
// problem's `detail`, `code`, status and Retry-After.

const KEY = 'tenantd.console.session';
const EARLY_MS = 60 * 1000; // refresh this long before expiry

let session = load();
let timer = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super((problem && (problem.detail || problem.title)) || `the server answered ${status}`);
    this.status = status;
    this.code = (problem && problem.code) || '';
    this.retryAfter = retryAfter ? Number(retryAfter) : null;
    this.errors = (problem && Array.isArray(problem.errors) && problem.errors) || []; // [{field, code, message}]
  }
}

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY));
  } catch {
    return null;
  }
}

function save() {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

function notify(reason) {
  for (const fn of listeners) fn(reason);
}

// Called with a reason ('signed-in', 'signed-up', 'signed-out', 'expired', 'switched')
// whenever the session changes.
export function onChange(fn) {
  listeners.add(fn);
}

export function current() {
  return session;
}

// 'operator' (a superadmin), 'owner' (an account owner), 'tenant' (a
// tenant's user, an owner switched in included), or null.
export function kind(s = session) {
  if (!s) return null;
  if (s.user.role === 'superadmin') return 'operator';
  if (s.user.role === 'owner') return 'owner';
  return 'tenant';
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {}))
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// One HTTP exchange with the API (same origin); returns the JSON answer,
// null for 204, or throws ApiError. headers: more request headers
// (X-Tenant, If-Match, an Idempotency-Key…); as 'blob': the answer's bytes
// as {blob, filename} (a download that needs the bearer token, so no plain
// link can fetch it); with `etag: true` the answer is {data, etag}, the
// row's ETag to send back as If-Match.
async function exchange(method, path, { body, token, params, headers: more, as, etag } = {}) {
  const headers = { ...more, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path + query(params), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (res.status === 204) return null;
  if (as === 'blob' && res.ok) return { blob: await res.blob(), filename: filename(res) };
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, data, res.headers.get('Retry-After'));
  return etag ? { data, etag: res.headers.get('ETag') } : data;
}

// The file name a Content-Disposition answer gives, if a plain one.
function filename(res) {
  const m = /filename="([^"/\\]+)"/.exec(res.headers.get('Content-Disposition') || '');
  return m ? m[1] : 'download';
}

// A session object from a token answer (login, refresh, switch).
function fromAnswer(a, parent) {
  return {
    access_token: a.access_token,
    refresh_token: a.refresh_token || null,
    expires_at: Date.now() + a.expires_in * 1000,
    user: a.user,
    tenant: a.tenant || null,
    account: a.account || null,
    services: a.services || [],
    parent: parent || null,
  };
}

function adopt(s, reason) {
  session = s;
  save();
  schedule();
  notify(reason);
}

// s with an access token good for more than EARLY_MS: s itself, or a new
// session made with its refresh token (or, switched, by switching again).
async function fresh(s) {
  if (s.expires_at - Date.now() > EARLY_MS) return s;
  if (s.refresh_token) {
    const a = await exchange('POST', '/v1/auth/refresh', { body: { refresh_token: s.refresh_token } });
    return fromAnswer(a, s.parent);
  }
  if (s.parent && s.tenant) {
    const owner = await fresh(s.parent);
    const a = await exchange('POST', `/v1/account/tenants/${encodeURIComponent(s.tenant.id)}/session`,
      { body: {}, token: owner.access_token });
    return fromAnswer(a, owner);
  }
  throw new ApiError(401, { detail: 'the session has ended: sign in again' });
}

function schedule() {
  clearTimeout(timer);
  timer = null;
  if (!session) return;
  const wait = Math.max(1000, session.expires_at - Date.now() - EARLY_MS);
  timer = setTimeout(renew, wait);
}

// One renewal of session s at a time: every caller that finds s's token
// refused waits for the same one. A refresh token is single-use — two
// refreshes with it would look like a stolen token to the server
// (refresh_reused), which ends every session of the user.
let renewing = null; // {from: the session renewed, p: its promise}
function renewOnce(s) {
  if (renewing && renewing.from === s) return renewing.p;
  const p = fresh({ ...s, expires_at: 0 }).then((n) => {
    if (session === s) adopt(n, 'refreshed');
    return n;
  }, (e) => {
    if (session === s) drop('expired');
    throw e;
  });
  renewing = { from: s, p };
  p.catch(() => {}).finally(() => {
    if (renewing && renewing.p === p) renewing = null;
  });
  return p;
}

async function renew() {
  if (session) await renewOnce(session).catch(() => {});
}

function drop(reason) {
  session = null;
  save();
  clearTimeout(timer);
  timer = null;
  notify(reason);
}

// Signs in: fields are {email, password} and, for a tenant's user, tenant.
export async function login(fields) {
  const a = await exchange('POST', '/v1/auth/login', { body: fields });
  adopt(fromAnswer(a), 'signed-in');
  return session;
}

// An authenticated call. A refused token (expired, revoked) is renewed
// once and the call made again; when that fails the session ends.
export async function call(method, path, opts = {}) {
  if (!session) throw new ApiError(401, { detail: 'not signed in' });
  const s = session;
  try {
    return await exchange(method, path, { ...opts, token: s.access_token });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    // renewed meanwhile (by a call beside this one): its token, else a renewal
    let n = session && session !== s ? session : null;
    if (!n) {
      try {
        n = await renewOnce(s);
      } catch {
        throw e;
      }
    }
    return exchange(method, path, { ...opts, token: n.access_token });
  }
}

// A call without a token, for the public routes a signed-out page needs
// (is sign-up open?).
export function anon(method, path, opts = {}) {
  return exchange(method, path, { ...opts, token: null });
}

// Signs up (POST /v1/auth/register: a tenant, its first admin and the
// account that owns it, the owner of the same email and password), then
// signs the owner in and switches into the new tenant, so "My tenants"
// works as after any owner's sign-in. The sign-up's own admin session is
// then revoked (the switch gives the same admin). Should the owner's
// sign-in fail (the email is also a superadmin's), the sign-up's session
// is kept instead. One change is announced at the end: 'signed-up'.
export async function register(fields) {
  const r = await exchange('POST', '/v1/auth/register', { body: fields });
  let s;
  let owner = null;
  try {
    owner = fromAnswer(await exchange('POST', '/v1/auth/login',
      { body: { email: fields.email, password: fields.password } }));
    if (owner.user.role !== 'owner') throw new Error('not the owner');
    const a = await exchange('POST', `/v1/account/tenants/${encodeURIComponent(r.tenant.id)}/session`,
      { body: {}, token: owner.access_token });
    s = fromAnswer(a, owner);
    exchange('POST', '/v1/auth/logout', { token: r.access_token }).catch(() => {});
  } catch {
    if (owner) exchange('POST', '/v1/auth/logout', { token: owner.access_token }).catch(() => {});
    s = fromAnswer(r);
  }
  adopt(s, 'signed-up');
  return session;
}

// An account owner switches into one of its tenants (id or slug).
export async function switchTo(tenant) {
  const a = await call('POST', `/v1/account/tenants/${encodeURIComponent(tenant)}/session`, { body: {} });
  adopt(fromAnswer(a, session), 'switched'); // session: the owner's, refreshed by call if need be
}

// Back from a switched tenant to the owner's own session.
export function back() {
  const s = session;
  if (!s || !s.parent) return;
  adopt(s.parent, 'switched');
  exchange('POST', '/v1/auth/logout', { token: s.access_token }).catch(() => {});
}

// Signs out: the tokens are forgotten at once, then revoked on the server
// (the switched tenant's and the owner's own).
export async function logout() {
  const s = session;
  drop('signed-out');
  for (let t = s; t; t = t.parent) {
    try {
      const live = t.expires_at > Date.now() + 5000 || !t.refresh_token ? t : await fresh({ ...t, expires_at: 0 });
      if (live.expires_at > Date.now()) await exchange('POST', '/v1/auth/logout', { token: live.access_token });
    } catch {
      // ended already: nothing to revoke
    }
  }
}

// a reloaded page renews on time too
schedule();
