// tenant-records.js — the sections of a tenant's page that read its
// records (tenant-detail.js says what ctx holds): usage over time (a
// chart, bucket and range picked), credits (balance, ledger, grant and
// adjust), subscription (plan and status, history), audit (cursor paging)
// and the impersonations of its users.
import * as api from './api.js';
import { h, when, badge, errorBox, table, facts, loading, bytes, pagedList, field } from './ui.js';
import { lineChart } from './chart.js';

const enc = encodeURIComponent;

function select(id, options, value) {
  return h('select', { id }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

// A list read a page at a time (ui.js pagedList) drawn as a table.
function pagedTable(caption, columns, fetchPage, empty) {
  const p = pagedList(fetchPage, (items) => table(caption, columns, items, empty));
  p.reload();
  return p.node;
}

const METRICS = [['requests', 'Requests', ''], ['writes', 'Writes', ''], ['rows_written', 'Rows written', ''],
  ['bytes_in', 'Bytes in', 'B'], ['bytes_out', 'Bytes out', 'B'], ['storage_bytes', 'Stored bytes', 'B']];
const RANGES = [['1', 'Last 24 hours'], ['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days']];

export function usageTab(ctx) {
  const metric = select('usage-metric', METRICS.map(([k, l]) => [k, l]), 'requests');
  const range = select('usage-range', RANGES, '1');
  const bucket = select('usage-bucket', [['hour', 'Hour'], ['day', 'Day']], 'hour');
  const out = h('div', { 'aria-live': 'polite' });

  async function draw() {
    out.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    const from = new Date(Date.now() - Number(range.value) * 86400e3).toISOString();
    try {
      const r = await api.call('GET', '/v1/admin/usage', { params: { tenant: ctx.t.id, bucket: bucket.value, from } });
      const [key, label, unit] = METRICS.find((m) => m[0] === metric.value);
      const points = r.items.map((x) => ({ t: x.start, v: x[key] }));
      const rangeLabel = RANGES.find((x) => x[0] === range.value)[1].toLowerCase();
      out.replaceChildren(
        h('figure', { class: 'usage-chart' },
          lineChart(points, { label: `${label} of ${ctx.slug} per ${bucket.value}, ${rangeLabel}`, unit }),
          h('figcaption', { class: 'muted' }, `${label} per ${bucket.value}, ${rangeLabel} (UTC buckets; only buckets with figures are listed)`)),
        h('h3', {}, 'Totals'),
        facts(METRICS.map(([k, l, u]) => [l, u ? bytes(r.totals[k]) : String(r.totals[k])])));
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  }
  for (const c of [metric, range, bucket]) c.addEventListener('change', draw);
  draw();
  return h('section', { class: 'card' }, h('h2', {}, 'Usage'),
    h('div', { class: 'filters' }, field('Figure', metric), field('Range', range), field('Bucket', bucket)), out);
}

function idemKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

// A small form that posts one credits change (with its Idempotency-Key:
// one key per press, so a double click cannot grant twice).
function creditForm(ctx, title, inputs, send, done) {
  const err = h('div', {});
  const key = { v: idemKey() };
  return h('form', { class: 'stack credit-form', onsubmit: async (e) => {
    e.preventDefault();
    err.replaceChildren();
    try {
      const r = await send(key.v);
      key.v = idemKey();
      done(r);
    } catch (x) {
      err.replaceChildren(errorBox(x));
    }
  } }, h('h3', {}, title), inputs, err, h('div', { class: 'actions start' }, h('button', { type: 'submit' }, title)));
}

export function creditsTab(ctx) {
  const path = `/v1/admin/credits/${enc(ctx.t.id)}`;
  const redraw = (what) => (r) => {
    ctx.say(`${what}: the balance is ${r.balance}.`);
    body.replaceChildren(content());
  };
  const grantN = h('input', { type: 'number', min: 1, required: true });
  const grantRef = h('input', { autocomplete: 'off' });
  const adjN = h('input', { type: 'number', required: true });
  const adjNote = h('input', { autocomplete: 'off', required: true });
  const forms = h('div', { class: 'grid' },
    creditForm(ctx, 'Grant credits', [field('Credits to grant', grantN), field('Reference (optional)', grantRef)],
      (k) => api.call('POST', `${path}/grant`, { headers: { 'Idempotency-Key': k },
        body: { credits: Number(grantN.value), ...(grantRef.value.trim() ? { reference: grantRef.value.trim() } : {}) } }),
      redraw('Granted')),
    creditForm(ctx, 'Adjust the balance', [field('Change (negative takes away)', adjN), field('Why', adjNote)],
      (k) => api.call('POST', `${path}/adjust`, { headers: { 'Idempotency-Key': k },
        body: { delta: Number(adjN.value), note: adjNote.value.trim() } }),
      redraw('Adjusted')));
  function content() {
    const balance = h('p', { class: 'balance' }, 'Balance: …');
    return h('div', {}, balance, pagedTable('Credit ledger', [
      { label: 'At', cell: (x) => when(x.at) },
      { label: 'Change', cell: (x) => (x.delta > 0 ? `+${x.delta}` : String(x.delta)) },
      { label: 'Reason', cell: (x) => x.reason },
      { label: 'Reference', cell: (x) => x.reference || '—' },
      { label: 'By', cell: (x) => x.actor_kind || '—' },
      { label: 'Balance after', cell: (x) => String(x.balance_after) },
    ], async (cursor) => {
      const r = await api.call('GET', '/v1/credits', { headers: ctx.tenantHeaders, params: { cursor, limit: 50 } });
      balance.textContent = `Balance: ${r.balance} credits`;
      return r;
    }, 'No credit movements yet.'));
  }
  const body = h('div', {}, content());
  return h('section', { class: 'card' }, h('h2', {}, 'Credits'), body, forms);
}

const SUB_STATUSES = ['trialing', 'active', 'past_due', 'cancelled'];

export function subscriptionTab(ctx) {
  const path = `/v1/tenants/${enc(ctx.t.id)}/subscription`;
  return h('div', {},
    loading('Subscription', async () => {
      const [s, plans] = await Promise.all([api.call('GET', path), api.call('GET', '/v1/plans')]);
      const plan = select('sub-plan', plans.items.map((p) => [p.code, p.name || p.code]), s.plan);
      const status = select('sub-status', SUB_STATUSES.map((x) => [x, x]), s.status);
      const err = h('div', {});
      const form = h('form', { class: 'filters', onsubmit: async (e) => {
        e.preventDefault();
        err.replaceChildren();
        try {
          const r = await api.call('PUT', path, { body: { plan: plan.value, status: status.value } });
          await ctx.reload();
          ctx.say(r.change ? `Now on ${r.plan}, ${r.status}.` : 'Nothing changed.');
        } catch (x) {
          err.replaceChildren(errorBox(x));
        }
      } }, field('Plan', plan), field('Status', status), h('button', { type: 'submit' }, 'Save'));
      return h('div', {},
        facts([['Plan', s.plan], ['Status', badge(s.status)], ['Period', `${when(s.current_period_start)} → ${when(s.current_period_end)}`]]),
        form, err);
    }),
    loading('History', async () => {
      const r = await api.call('GET', `${path}/history`);
      return table('Subscription history', [
        { label: 'At', cell: (x) => when(x.at) },
        { label: 'Plan', cell: (x) => `${x.from_plan || '—'} → ${x.to_plan || '—'}` },
        { label: 'Status', cell: (x) => `${x.from_status || '—'} → ${x.to_status || '—'}` },
        { label: 'Proration', cell: (x) => `${x.proration_amount} ${x.currency || ''}` },
        { label: 'By', cell: (x) => (x.actor ? x.actor.kind : '—') },
      ], r.items, 'No changes yet.');
    }));
}

// The superadmins who acted as the tenant's users; an active one can be
// ended here (the token shown when it was made is not kept anywhere).
function impersonations(ctx) {
  const path = `/v1/tenants/${enc(ctx.t.id)}/impersonations`;
  return loading('Impersonations', async () => {
    const [r, users] = await Promise.all([api.call('GET', path),
      api.call('GET', '/v1/auth/users', { headers: ctx.tenantHeaders, params: { limit: 200 } }).catch(() => ({ items: [] }))]);
    const email = new Map(users.items.map((u) => [u.id, u.email]));
    return table('Impersonations', [
      { label: 'User', cell: (x) => email.get(x.user_id) || x.user_id },
      { label: 'Reason', cell: (x) => x.reason },
      { label: 'State', cell: (x) => badge(x.state) },
      { label: 'Until', cell: (x) => when(x.expires_at) },
      { label: 'Action', cell: (x) => (x.state !== 'active' ? '—' : h('button', { type: 'button', class: 'secondary', onclick: async () => {
        try {
          await api.call('DELETE', `${path}/${enc(x.id)}`);
          await ctx.reload();
          ctx.say('The impersonation has ended.');
        } catch (e) {
          ctx.say(`Not done: ${e.message}`);
        }
      } }, 'End')) },
    ], r.items, 'Nobody has impersonated a user of this tenant.');
  });
}

export function auditTab(ctx) {
  return h('div', {},
    h('section', { class: 'card' }, h('h2', {}, 'Audit'),
      pagedTable('Audit records', [
        { label: 'At', cell: (x) => when(x.at) },
        { label: 'Actor', cell: (x) => x.actor_kind },
        { label: 'Action', cell: (x) => x.action },
        { label: 'Resource', cell: (x) => x.resource || '—' },
        { label: 'Outcome', cell: (x) => badge(x.outcome) },
        { label: 'Detail', cell: (x) => x.detail || '—' },
      ], (cursor) => api.call('GET', '/v1/admin/audit', { params: { tenant: ctx.t.id, cursor, limit: 50 } }),
      'No audit records.')),
    impersonations(ctx));
}
