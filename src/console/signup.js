// signup.js — #/signup: self-service sign-up (POST /v1/auth/register),
// offered only where the server has it open (GET /v1/auth/register). The
// store's name, its slug (suggested from the name until edited, checked
// as the API checks it), the owner's email and password (the API's rules
// shown) and the password again; then the owner is signed in, switched
// into the new tenant, and the set-up wizard opens (api.register, app.js).
import * as api from './api.js';
import { h, errorText, field } from './ui.js';

// The API's rules for a slug (src/tenancy/slug.c): 2 to 63 of a-z, 0-9
// and '-', a letter first, no dash last, no two dashes in a row, and not
// a word the routes, hostnames or operators use.
const RESERVED = new Set(['admin', 'administrator', 'api', 'app', 'assets', 'auth', 'billing',
  'cdn', 'console', 'dashboard', 'default', 'docs', 'ftp', 'health', 'help', 'imap', 'internal',
  'login', 'mail', 'metrics', 'null', 'pop', 'postgres', 'ready', 'root', 'smtp', 'static',
  'status', 'support', 'system', 'tenant', 'tenantd', 'tenants', 'test', 'undefined', 'v1', 'v2',
  'www', 'www1', 'www2']);

function slugProblem(s) {
  if (s.length < 2 || s.length > 63) return 'The slug is 2 to 63 characters long.';
  if (!/^[a-z]/.test(s)) return 'The slug starts with a lowercase letter.';
  if (!/^[a-z0-9-]+$/.test(s)) return 'The slug holds only lowercase letters, digits and dashes.';
  if (s.endsWith('-')) return 'The slug does not end with a dash.';
  if (s.includes('--')) return 'The slug has no two dashes in a row.';
  if (RESERVED.has(s)) return `"${s}" is a reserved word: choose another slug.`;
  return null;
}

// "Café Zürich & Co" → "cafe-zurich-co": what the slug field offers.
function suggestSlug(name) {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 63).replace(/-+$/, '');
}

const bytes = (s) => new TextEncoder().encode(s).length;

// The API's other checks: a name of 1 to 200 bytes without control
// characters, an email as td_email_valid takes it, a password of 8 to
// 1024 characters (the list of common passwords is the server's).
const CHECKS = {
  name: (v) => (bytes(v) < 1 || bytes(v) > 200 || /\p{Cc}/u.test(v) ? 'Give the store a name (up to 200 bytes).' : null),
  slug: slugProblem,
  email: (v) => (/^[^@"<>\\]+@[^@"<>\\]+$/.test(v) && /^[\x21-\x7e]{3,254}$/.test(v)
    ? null : 'Give an email address like you@example.com.'),
  password: (v) => (v.length < 8 || v.length > 1024 ? 'The password is 8 to 1024 characters.' : null),
};

// Which field an API refusal is about, from its code or its detail.
function fieldOf(e) {
  if (e.code === 'slug_taken') return 'slug';
  if (e.code === 'email_taken') return 'email';
  if (e.code !== 'invalid_request') return null;
  return ['password', 'slug', 'email', 'name'].find((f) => e.message.includes(f)) || null;
}

function closedCard() {
  return h('section', { class: 'card narrow' },
    h('h1', { tabindex: '-1' }, 'Registration is closed'),
    h('p', {}, 'This tenantd does not take sign-ups: its operator creates the tenants. Ask them for one, or sign in.'),
    h('p', {}, h('a', { href: '#/login' }, 'Sign in')));
}

export function signupPage() {
  const page = h('div', { class: 'page' }, h('p', { class: 'muted' }, 'Loading…'));
  api.anon('GET', '/v1/auth/register').then(
    (r) => page.replaceChildren(r && r.open ? form(page) : closedCard()),
    () => page.replaceChildren(form(page))) // unknown: the sign-up itself will tell
    .then(() => {
      const h1 = page.querySelector('h1');
      if (h1) h1.focus();
    });
  return page;
}

function form(page) {
  const input = (id, attrs) => h('input', { id, name: id, required: true, ...attrs });
  const f = {
    name: input('name', { autocomplete: 'organization', maxlength: 200 }),
    slug: input('slug', { autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none', maxlength: 63 }),
    email: input('email', { type: 'email', autocomplete: 'email', autocapitalize: 'none' }),
    password: input('password', { type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 1024 }),
    confirm: input('confirm', { type: 'password', autocomplete: 'new-password' }),
  };
  const errs = {};
  for (const k of Object.keys(f))
    errs[k] = h('p', { class: 'error field-error', id: `${k}-error`, hidden: true });
  const formErr = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, 'Create the account');

  let slugEdited = false;
  f.name.addEventListener('input', () => {
    if (!slugEdited) f.slug.value = suggestSlug(f.name.value);
  });
  f.slug.addEventListener('input', () => {
    slugEdited = f.slug.value !== '';
  });

  const hints = {}; // each input's hint id, when it has one (set by row())
  function setError(k, text) {
    errs[k].textContent = text || '';
    errs[k].hidden = !text;
    const ids = [hints[k], text ? errs[k].id : null].filter(Boolean);
    if (ids.length) f[k].setAttribute('aria-describedby', ids.join(' '));
    else f[k].removeAttribute('aria-describedby');
    f[k].setAttribute('aria-invalid', text ? 'true' : 'false');
  }
  const value = (k) => (k === 'password' ? f[k].value : f[k].value.trim());
  for (const k of Object.keys(f)) // an error goes once its field is changed
    f[k].addEventListener('input', () => {
      if (!errs[k].hidden) setError(k, null);
    });

  // Every field checked as the API would; the first wrong one has the focus.
  function check() {
    let first = null;
    for (const k of Object.keys(CHECKS)) {
      const why = CHECKS[k](value(k));
      setError(k, why);
      if (why && !first) first = k;
    }
    const same = f.confirm.value === f.password.value;
    setError('confirm', same ? null : 'The two passwords differ.');
    if (!same && !first) first = 'confirm';
    return first;
  }

  async function onsubmit(e) {
    e.preventDefault();
    formErr.replaceChildren();
    const bad = check();
    if (bad) {
      f[bad].focus();
      return;
    }
    submit.disabled = true;
    try {
      await api.register({ name: value('name'), slug: value('slug'), email: value('email'), password: value('password') }); // the router opens the wizard (api.onChange 'signed-up')
    } catch (x) {
      submit.disabled = false;
      if (x.code === 'registration_closed') {
        page.replaceChildren(closedCard());
        page.querySelector('h1').focus();
        return;
      }
      const k = fieldOf(x);
      const text = errorText(x).replace(/^admin: /, '');
      if (k) {
        setError(k, text.charAt(0).toUpperCase() + text.slice(1));
        f[k].focus();
      } else {
        formErr.replaceChildren(h('p', { class: 'error', role: 'alert' }, text));
      }
    }
  }

  const row = (k, label, hint) => {
    const el = field(label, f[k], hint);
    hints[k] = f[k].getAttribute('aria-describedby');
    el.append(errs[k]);
    return el;
  };
  return h('section', { class: 'card narrow' },
    h('h1', { tabindex: '-1' }, 'Create an account'),
    h('p', { class: 'muted' }, 'A store of your own on this tenantd, and an account to own it. Set it up afterwards, step by step.'),
    h('form', { class: 'stack', onsubmit, novalidate: true },
      row('name', 'Store name'),
      row('slug', 'Slug', 'Its short name in addresses, chosen now for good: 2 to 63 lowercase letters, digits and dashes, starting with a letter.'),
      row('email', 'Email', 'You sign in with it as the owner of the account.'),
      row('password', 'Password', '8 to 1024 characters, and not one of the most common passwords.'),
      row('confirm', 'Password again'),
      formErr, submit),
    h('p', {}, 'Have an account? ', h('a', { href: '#/login' }, 'Sign in')));
}
