// tenant-actions.js — what a superadmin does to a whole tenant from its
// page: suspend / resume, move its data (a tenant.move job, followed),
// impersonate one of its users (the token shown once, to copy), delete it
// (the slug typed to confirm). Each asks first in a modal dialog.
import * as api from './api.js';
import { h, when, errorBox, confirm, facts, field, uid } from './ui.js';
import { jobView, followJob } from './jobwatch.js';

const enc = encodeURIComponent;

// A modal form: fields (Nodes), a submit button labelled action, and
// run() called on submit — its refusal is shown in the dialog, which
// stays open; what it returns resolves the promise (null: cancelled).
// ready(): whether submit is allowed now (checked on every input).
export function formDialog(title, fields, action, run, { danger = false, ready = () => true } = {}) {
  return new Promise((resolve) => {
    const id = uid('dlg');
    const err = h('div', {});
    const submit = h('button', { type: 'submit', class: danger ? 'danger' : null, disabled: !ready() }, action);
    const done = (r) => {
      dlg.close();
      dlg.remove();
      resolve(r);
    };
    const form = h('form', { class: 'stack', method: 'dialog', oninput: () => { submit.disabled = !ready(); },
      onsubmit: async (e) => {
        e.preventDefault();
        if (!ready()) return;
        submit.disabled = true;
        err.replaceChildren();
        try {
          done(await run());
        } catch (x) {
          err.replaceChildren(errorBox(x));
          submit.disabled = !ready();
        }
      } },
    h('h2', { id }, title), fields, err,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => done(null) }, 'Cancel'), submit));
    const dlg = h('dialog', { class: 'confirm form-dialog', 'aria-labelledby': id }, form);
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(null);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

async function transition(ctx, verb) {
  const t = ctx.t;
  const yes = await confirm(`${verb === 'suspend' ? 'Suspend' : 'Resume'} the tenant “${t.slug}”?${verb === 'suspend'
    ? ' Its users and keys are refused (403 tenant_suspended) until it is resumed.' : ''}`,
  verb === 'suspend' ? 'Suspend' : 'Resume');
  if (!yes) return;
  try {
    const n = await api.call('POST', `/v1/tenants/${enc(t.slug)}/${verb}`, { body: {} });
    await ctx.reload();
    ctx.say(`Tenant ${n.slug} is ${n.status}.`);
  } catch (e) {
    ctx.say(`Not done: ${e.message}`);
  }
}

// Where the data may go: this node's SQLite, the least used PostgreSQL
// server, a registered server by name, or a postgres:// URL.
async function move(ctx, area) {
  const to = h('input', { autocomplete: 'off', required: true, placeholder: 'sqlite, postgres, a server or postgres://…' });
  const r = await formDialog(`Move ${ctx.slug}’s data`, [
    h('p', {}, `Now on ${ctx.t.backend}. The rows are copied while the tenant serves; writes wait only for the switch.`),
    field('Move to', to, 'sqlite (this node), postgres (the registered server with the fewest tenants), a server’s name, or a postgres:// URL'),
  ], 'Move', () => api.call('POST', `/v1/tenants/${enc(ctx.slug)}/move`, { body: { to: to.value.trim() } }),
  { ready: () => to.value.trim() !== '' });
  if (r) await watch(ctx, area, r.job, 'Move');
}

// Shows a job in the page's job area until it ends, then reloads.
export async function watch(ctx, area, job, what) {
  const view = jobView();
  area.replaceChildren(view);
  ctx.say(`${what} started.`);
  const j = await followJob(job, view);
  if (!j) return j;
  await ctx.reload();
  ctx.say(`${what} ${j.state}.`);
  return j;
}

// A superadmin acts as a user: the API hands out that user's access token
// (no refresh token, at most an hour, audited with the reason). The
// console does not become that user: it shows the token once, to copy
// into a client, and a button that ends the impersonation at once.
async function impersonate(ctx, area) {
  const users = await api.call('GET', '/v1/auth/users', { headers: ctx.tenantHeaders, params: { limit: 200 } });
  if (!users.items.length) {
    ctx.say('This tenant has no user to impersonate.');
    return;
  }
  const user = h('select', {}, users.items.map((u) => h('option', { value: u.id }, `${u.email} (${u.role})`)));
  const reason = h('textarea', { rows: 3, maxlength: 500, 'aria-describedby': 'imp-reason-error' });
  const minutes = h('input', { type: 'number', min: 1, max: 60, value: 15 });
  const reasonErr = h('p', { class: 'field-error', id: 'imp-reason-error', hidden: true, role: 'alert' });
  const r = await formDialog(`Impersonate a user of ${ctx.slug}`, [
    field('User', user), field('Reason', reason, 'Required: recorded in the tenant’s audit log, which its admins read.'), reasonErr,
    field('Minutes', minutes, '1 to 60; the token cannot be refreshed'),
  ], 'Impersonate', async () => {
    if (!reason.value.trim()) {
      reasonErr.textContent = 'A reason is required.';
      reasonErr.hidden = false;
      reason.setAttribute('aria-invalid', 'true');
      reason.focus();
      throw new Error('Give the reason for the impersonation.');
    }
    return api.call('POST', `/v1/tenants/${enc(ctx.slug)}/impersonate`,
      { body: { user: user.value, reason: reason.value.trim(), minutes: Number(minutes.value) } });
  });
  if (r) showImpersonation(ctx, area, r);
}

function showImpersonation(ctx, area, r) {
  const imp = r.impersonation;
  const token = h('input', { id: 'imp-token', readonly: true, value: r.access_token, class: 'token' });
  const copy = h('button', { type: 'button', class: 'secondary', onclick: async () => {
    token.select();
    try {
      await navigator.clipboard.writeText(r.access_token);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Selected: copy it now';
    }
  } }, 'Copy token');
  const end = h('button', { type: 'button', class: 'danger', onclick: async () => {
    try {
      await api.call('DELETE', `/v1/tenants/${enc(ctx.slug)}/impersonations/${enc(imp.id)}`);
      area.replaceChildren();
      ctx.say(`The impersonation of ${r.user.email} has ended.`);
    } catch (e) {
      area.append(errorBox(e));
    }
  } }, 'End it now');
  area.replaceChildren(h('section', { class: 'card impersonation' },
    h('h2', {}, `Impersonating ${r.user.email}`),
    facts([['User', `${r.user.email} (${r.user.role})`], ['Reason', imp.reason], ['Until', when(imp.expires_at)], ['Id', h('code', {}, imp.id)]]),
    field('Access token of that user (shown this once)', token),
    h('div', { class: 'actions' }, copy, end)));
  ctx.say(`You may act as ${r.user.email} until ${when(imp.expires_at)} with the token below.`);
}

// The slug must be typed before Delete is enabled. The DELETE answers 204
// with the tenant "deleting"; the page follows it (once a second) until
// the API no longer finds it (404: only the tombstone is left).
async function remove(ctx) {
  const slug = ctx.t.slug; // the page may have been opened by id
  const typed = h('input', { autocomplete: 'off', spellcheck: 'false' });
  const r = await formDialog(`Delete ${slug}`, [
    h('p', {}, 'Its databases, files and key are destroyed; its users and keys stop working. This cannot be undone.'),
    field(`Type ${slug} to confirm`, typed),
  ], 'Delete tenant', async () => {
    await api.call('DELETE', `/v1/tenants/${enc(ctx.slug)}`);
    return true;
  }, { danger: true, ready: () => typed.value === slug });
  if (!r) return;
  ctx.say(`Tenant ${slug} is being deleted…`);
  for (let i = 0; i < 60 && ctx.live(); i++) {
    try {
      const t = await api.call('GET', `/v1/tenants/${enc(ctx.t.id)}`);
      if (t.status === 'deleted') i = Infinity;
    } catch (e) {
      if (e.status === 404) i = Infinity; // gone (a read of a deleted tenant by id says so)
      else if (e.status !== 429 && e.status < 500) throw e;
    }
    if (i === Infinity) {
      ctx.gone();
      ctx.say(`Tenant ${slug} was deleted.`);
      return;
    }
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  if (ctx.live()) ctx.say(`Tenant ${slug} is still being deleted: its status will say when it is done.`);
}

// A tenant left provisioning (a crash) or failed is finished again.
async function retry(ctx) {
  const n = await api.call('POST', `/v1/tenants/${enc(ctx.slug)}/retry`, { body: {} });
  await ctx.reload();
  ctx.say(`Tenant ${n.slug} is ${n.status}.`);
}

export function actionsBar(ctx) {
  const t = ctx.t;
  const area = h('div', { class: 'action-area' });
  const b = (label, fn, cls) => h('button', { type: 'button', class: cls, onclick: () => fn(ctx, area).catch((e) => ctx.say(`Not done: ${e.message}`)) }, label);
  const live = t.status === 'active' || t.status === 'suspended';
  return h('div', {},
    h('div', { class: 'actions start' },
      t.status === 'active' ? b('Suspend…', (c) => transition(c, 'suspend'), 'danger') : null,
      t.status === 'suspended' ? b('Resume…', (c) => transition(c, 'resume')) : null,
      t.status === 'failed' || t.status === 'provisioning' ? b('Retry provisioning', retry) : null,
      live ? b('Move…', move, 'secondary') : null,
      t.status === 'active' ? b('Impersonate…', impersonate, 'secondary') : null,
      t.status !== 'deleted' && t.status !== 'deleting' ? b('Delete…', remove, 'danger') : null),
    area);
}
