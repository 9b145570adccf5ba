// login.js — #/login: one form for the three kinds of user. An operator
// (superadmin) and an account owner both give an email and a password (the
// server tells which one signed in); a tenant's user also names the
// tenant by its slug. Where sign-up is open, a link to #/signup.
import * as api from './api.js';
import { h, errorText } from './ui.js';

const MODES = [
  ['operator', 'Operator', 'A superadmin of this tenantd.'],
  ['tenant', 'Tenant user', 'A user of one tenant: give its slug.'],
  ['owner', 'Account owner', 'The owner of one or more tenants.'],
];

export function loginPage(notice) {
  const err = h('p', { class: 'error', role: 'alert', id: 'login-error', hidden: true });
  const hint = h('p', { class: 'muted', id: 'mode-hint' });
  const tenant = h('input', { id: 'tenant', name: 'tenant', autocomplete: 'organization', spellcheck: 'false', autocapitalize: 'none' });
  const tenantRow = h('div', { class: 'field' }, h('label', { for: 'tenant' }, 'Tenant (slug)'), tenant);
  const email = h('input', { id: 'email', name: 'email', type: 'email', required: true, autocomplete: 'username', autocapitalize: 'none', 'data-focus': true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', required: true, autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit' }, 'Sign in');

  const radios = MODES.map(([value, label], i) =>
    h('label', { class: 'choice' },
      h('input', { type: 'radio', name: 'mode', value, checked: i === 0, onchange: () => setMode(value) }),
      label));
  function setMode(mode) {
    tenantRow.hidden = mode !== 'tenant';
    tenant.required = mode === 'tenant';
    hint.textContent = MODES.find((m) => m[0] === mode)[2];
  }
  setMode('operator');

  async function onsubmit(e) {
    e.preventDefault();
    err.hidden = true;
    submit.disabled = true;
    const mode = new FormData(form).get('mode');
    const fields = { email: email.value.trim(), password: password.value };
    if (mode === 'tenant') fields.tenant = tenant.value.trim();
    try {
      await api.login(fields); // the router moves on (api.onChange)
    } catch (x) {
      err.textContent = errorText(x);
      err.hidden = false;
      password.select();
      password.focus();
    } finally {
      submit.disabled = false;
    }
  }

  const form = h('form', { class: 'stack', onsubmit, novalidate: false, 'aria-describedby': 'mode-hint' },
    h('fieldset', { class: 'modes' }, h('legend', {}, 'Sign in as'), radios),
    hint, tenantRow,
    h('div', { class: 'field' }, h('label', { for: 'email' }, 'Email'), email),
    h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password),
    err, submit);

  // "Create an account" only where the server takes sign-ups
  const offer = h('p', { id: 'signup-offer', hidden: true }, 'New here? ', h('a', { href: '#/signup' }, 'Create an account'));
  api.anon('GET', '/v1/auth/register').then((r) => {
    offer.hidden = !(r && r.open);
  }, () => {});

  return h('section', { class: 'card narrow' },
    h('h1', { tabindex: '-1' }, 'Sign in to tenantd'),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    form, offer);
}
