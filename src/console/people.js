// people.js — a tenant's users and API keys, as two self-contained panels
// (usersPanel, keysPanel) that return a <section>. They are used on a
// tenant user's #/tenant and on a superadmin's tenant page: `tenant` is
// null for the signed-in user's own tenant, or the id/slug of the tenant a
// superadmin looks at (then every call carries X-Tenant). The forms show
// only to those who may use them (admins, superadmins); the API decides
// the rest, and its refusals are shown where the action was taken.
import * as api from './api.js';
import {
  h, when, badge, table, confirm, errorBox, field, checks, ticked, showFieldErrors, statusLine, isoFromLocal,
} from './ui.js';

const enc = encodeURIComponent;
const ROLES = ['admin', 'manager', 'client'];

// api.call bound to a tenant: X-Tenant when a superadmin names one.
function caller(tenant) {
  const headers = tenant ? { 'X-Tenant': tenant } : undefined;
  return (method, path, opts = {}) => api.call(method, path, { ...opts, headers });
}

function mayManage() {
  const role = api.current().user.role;
  return role === 'admin' || role === 'superadmin';
}

// Services a user or key may be given: those the caller may use, but auth
// (users and keys follow the role, not a grant).
async function grantable(call) {
  const r = await call('GET', '/v1/services');
  return r.items.map((s) => s.name).filter((n) => n !== 'auth');
}

// Every item of a cursor-paged list (users and keys are few).
async function all(call, path) {
  const items = [];
  let cursor = null;
  do {
    const r = await call('GET', path, { params: { cursor } });
    items.push(...r.items);
    cursor = r.next_cursor;
  } while (cursor && items.length < 5000);
  return items;
}

function panel(title, heading, ...children) {
  return h('section', { class: 'card panel' }, heading ? h('h2', {}, title) : null, ...children);
}

function roleSelect(name, value) {
  return h('select', { name }, ROLES.map((r) => h('option', { value: r, selected: r === value }, r)));
}

// A grant list as text: an empty one is every service for a key or an
// admin, none for a manager or client (SPEC §6, api.md "Scopes").
function services(list, none = 'all') {
  return list && list.length ? list.join(', ') : none;
}

// A form whose submit runs `send(form)`; a refusal is shown in the form
// (the problem's detail, and each named field beside it). `more`: buttons
// before the submit button (Cancel).
function form(label, fields, button, send, ...more) {
  const err = h('div', { 'aria-live': 'assertive' });
  const f = h('form', { class: 'stack', 'aria-label': label }, fields, err,
    h('div', { class: 'actions' }, more, button));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.replaceChildren();
    showFieldErrors(f, null);
    button.disabled = true;
    try {
      await send(f);
    } catch (e) {
      showFieldErrors(f, e);
      err.replaceChildren(errorBox(e));
    } finally {
      button.disabled = false;
    }
  });
  return f;
}

// ---- users ---------------------------------------------------------------------

// usersPanel({tenant, heading}): the tenant's users (an admin sees all,
// others only themselves), and for admins: add, edit (role, services,
// name, password), disable/enable, delete.
export function usersPanel({ tenant = null, heading = true } = {}) {
  const call = caller(tenant);
  const manage = mayManage();
  const me = api.current().user;
  const say = statusLine();
  const failure = h('div', { 'aria-live': 'assertive' });
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const editor = h('div');
  let grants = [];

  async function reload() {
    const items = await all(call, '/v1/auth/users');
    list.replaceChildren(table('Users', columns(), items, 'No users.'));
  }

  function columns() {
    const cols = [
      { label: 'Email', cell: (u) => u.email },
      { label: 'Name', cell: (u) => u.name || '—' },
      { label: 'Role', cell: (u) => u.role },
      { label: 'Services', cell: (u) => services(u.services, u.role === 'admin' ? 'all' : 'none') },
      { label: 'State', cell: (u) => badge(u.disabled ? 'disabled' : 'active') },
      { label: 'Last sign-in', cell: (u) => when(u.last_login_at) },
    ];
    if (manage) cols.push({ label: 'Actions', cell: actions });
    return cols;
  }

  function actions(u) {
    const b = (text, what, fn, cls) =>
      h('button', { type: 'button', class: cls || 'secondary', 'aria-label': `${what} ${u.email}`, onclick: fn }, text);
    const self = u.id === me.id;
    return h('div', { class: 'row-actions' },
      b('Edit', 'Edit', () => edit(u)),
      self ? null : u.disabled ? b('Enable', 'Enable', () => act(u, { disabled: false }, `${u.email} is enabled.`))
        : b('Disable…', 'Disable', () => act(u, { disabled: true }, `${u.email} is disabled.`,
          `Disable ${u.email}? Their sessions and tokens end at once.`, 'Disable')),
      self ? null : b('Delete…', 'Delete', () => remove(u), 'danger'));
  }

  async function run(fn, text) {
    failure.replaceChildren();
    try {
      await fn();
      await reload();
      say.say(text);
    } catch (e) {
      say.say(null);
      failure.replaceChildren(errorBox(e));
      failure.firstChild.setAttribute('tabindex', '-1');
      failure.firstChild.focus();
    }
  }

  async function act(u, patch, text, question, verb) {
    if (question && !(await confirm(question, verb))) return;
    await run(() => call('PATCH', `/v1/auth/users/${enc(u.id)}`, { body: patch }), text);
  }

  async function remove(u) {
    if (!(await confirm(`Delete ${u.email}? This cannot be undone; their tokens stop working.`, 'Delete'))) return;
    editor.replaceChildren();
    await run(() => call('DELETE', `/v1/auth/users/${enc(u.id)}`), `${u.email} is deleted.`);
  }

  // The editor of one user, above the list: only what changed is sent.
  function edit(u) {
    const title = h('h3', { tabindex: '-1' }, `Edit ${u.email}`);
    const save = h('button', { type: 'submit' }, 'Save');
    const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => {
      editor.replaceChildren();
      const back = [...list.querySelectorAll('button')].find((x) => x.getAttribute('aria-label') === `Edit ${u.email}`);
      if (back) back.focus(); // where the edit began
    } }, 'Cancel');
    const f = form(`Edit ${u.email}`, [
      field('Name', h('input', { name: 'name', value: u.name || '', autocomplete: 'off' })),
      field('Role', roleSelect('role', u.role)),
      checks('Services', 'services', grants, u.services || []),
      field('New password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password' }),
        'Leave empty to keep it. A change ends their sessions.'),
    ], save, async (fm) => {
      const body = {};
      const name = fm.elements.name.value.trim();
      if (name !== (u.name || '')) body.name = name || null;
      if (fm.elements.role.value !== u.role) body.role = fm.elements.role.value;
      const svc = ticked(fm, 'services');
      if (svc.join() !== (u.services || []).join()) body.services = svc;
      if (fm.elements.password.value) body.password = fm.elements.password.value;
      if (!Object.keys(body).length) {
        editor.replaceChildren();
        return;
      }
      await call('PATCH', `/v1/auth/users/${enc(u.id)}`, { body });
      editor.replaceChildren();
      await reload();
      say.say(`${u.email} is saved.`);
    }, cancel);
    editor.replaceChildren(h('div', { class: 'editor' }, title, f));
    title.focus();
  }

  function addForm() {
    return form('Add a user', [
      h('div', { class: 'form-grid' },
        field('Email', h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' })),
        field('Name', h('input', { name: 'name', autocomplete: 'off' })),
        field('Password', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' }),
          '8 to 1024 characters, not a common password'),
        field('Role', roleSelect('role', 'client'))),
      checks('Services', 'services', grants, []),
      h('p', { class: 'hint' }, 'An admin with no service ticked holds every service.'),
    ], h('button', { type: 'submit' }, 'Add user'), async (fm) => {
      const body = {
        email: fm.elements.email.value.trim(),
        password: fm.elements.password.value,
        role: fm.elements.role.value,
        services: ticked(fm, 'services'),
      };
      if (fm.elements.name.value.trim()) body.name = fm.elements.name.value.trim();
      const u = await call('POST', '/v1/auth/users', { body });
      fm.reset();
      await reload();
      say.say(`${u.email} is added.`);
    });
  }

  const adding = h('div');
  const sec = panel('Users', heading, say, failure, editor, list, adding);
  (async () => {
    if (manage) grants = await grantable(call).catch(() => []);
    await reload();
    if (manage) adding.replaceChildren(h('h3', {}, 'Add a user'), addForm());
  })().catch((e) => list.replaceChildren(errorBox(e)));
  return sec;
}

// ---- API keys ------------------------------------------------------------------

function keyState(k) {
  if (k.revoked_at) return 'revoked';
  if (k.expires_at && Date.parse(k.expires_at) <= Date.now()) return 'expired';
  return 'active';
}

// The key just created, shown this once: a Copy button, and a warning.
function keyOnce(k) {
  const secret = h('code', { class: 'secret', id: 'new-key' }, k.key);
  const copied = h('span', { class: 'copied', role: 'status' });
  const copy = h('button', { type: 'button', class: 'secondary', 'aria-describedby': 'new-key' }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(k.key);
      copied.textContent = 'Copied';
    } catch {
      getSelection().selectAllChildren(secret); // copy by hand: it is selected
      copied.textContent = 'Copying failed: the key is selected, copy it with Ctrl+C';
    }
  });
  const title = h('h3', { tabindex: '-1' }, `Key ${k.name} created`);
  const box = h('div', { class: 'key-once' }, title,
    h('p', { class: 'warning' }, 'Copy it now: it will not be shown again (only its hash is kept).'),
    h('div', { class: 'key-line' }, secret, copy, copied));
  setTimeout(() => title.focus());
  return box;
}

// keysPanel({tenant, heading}): the tenant's API keys (never their
// secrets), create one (shown once), revoke. Admins only: for anyone the
// API refuses (403), the panel hides itself.
export function keysPanel({ tenant = null, heading = true } = {}) {
  const call = caller(tenant);
  const manage = mayManage();
  const say = statusLine();
  const failure = h('div', { 'aria-live': 'assertive' });
  const fresh = h('div');
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const adding = h('div');
  let grants = [];

  async function reload() {
    const items = await all(call, '/v1/auth/api-keys');
    list.replaceChildren(table('API keys', [
      { label: 'Name', cell: (k) => k.name || '—' },
      { label: 'Role', cell: (k) => k.role },
      { label: 'Services', cell: (k) => services(k.services) },
      { label: 'Access', cell: (k) => (k.read_only ? 'read only' : 'read and write') },
      { label: 'Expires', cell: (k) => (k.expires_at ? when(k.expires_at) : 'never') },
      { label: 'Last used', cell: (k) => when(k.last_used_at) },
      { label: 'State', cell: (k) => badge(keyState(k)) },
      { label: 'Actions', cell: (k) => (keyState(k) === 'revoked' ? '—'
        : h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${k.name}`, onclick: () => revoke(k) }, 'Revoke…')) },
    ], items, 'No API keys.'));
  }

  async function revoke(k) {
    if (!(await confirm(`Revoke the key ${k.name}? It stops working at once, and so does every key it made.`, 'Revoke'))) return;
    failure.replaceChildren();
    try {
      await call('DELETE', `/v1/auth/api-keys/${enc(k.id)}`);
      fresh.replaceChildren();
      await reload();
      say.say(`The key ${k.name} is revoked.`);
    } catch (e) {
      say.say(null);
      failure.replaceChildren(errorBox(e));
    }
  }

  function addForm() {
    return form('Create an API key', [
      h('div', { class: 'form-grid' },
        field('Key name', h('input', { name: 'name', required: true, autocomplete: 'off' })),
        field('Role', roleSelect('role', 'client')),
        field('Expires', h('input', { name: 'expires_at', type: 'datetime-local' }), 'Empty: never')),
      checks('Services', 'services', grants, []),
      h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'read_only' }), 'Read only'),
    ], h('button', { type: 'submit' }, 'Create key'), async (fm) => {
      const body = { name: fm.elements.name.value.trim(), role: fm.elements.role.value, read_only: fm.elements.read_only.checked };
      const svc = ticked(fm, 'services');
      if (svc.length) body.services = svc;
      if (fm.elements.expires_at.value) body.expires_at = isoFromLocal(fm.elements.expires_at.value);
      const k = await call('POST', '/v1/auth/api-keys', { body });
      fm.reset();
      say.say(null);
      fresh.replaceChildren(keyOnce(k));
      await reload();
    });
  }

  const sec = panel('API keys', heading, say, failure, fresh, list, adding);
  (async () => {
    if (manage) grants = await grantable(call).catch(() => []);
    await reload();
    if (manage) adding.replaceChildren(h('h3', {}, 'Create an API key'), addForm());
  })().catch((e) => {
    if (e.status === 403) sec.hidden = true; // not this role's to see
    else list.replaceChildren(errorBox(e));
  });
  return sec;
}
