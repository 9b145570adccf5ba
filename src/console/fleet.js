// fleet.js — a superadmin's #/fleet: the fleet checked live
// (GET /v1/admin/fleet/health: the catalog, every database server, a
// random sample of tenant databases, every failed tenant) with each
// check's latency, and the migrations behind or quarantined
// (GET /v1/admin/migrations). A failed tenant is retried with
// POST /v1/tenants/{id}/retry, a quarantined migration with a run for
// that tenant (POST /v1/admin/migrations {"tenant"}).
import * as api from './api.js';
import { h, when, badge, errorBox, table, facts, loading, ms } from './ui.js';

const enc = encodeURIComponent;

// A failed (or half-provisioned) tenant is listed, not opened: its check's
// detail is its recorded status ("status failed: …").
const listedOnly = (c) => c.kind === 'tenant' && /^status /.test(c.detail || '');

function checkRows(caption, rows, extra = []) {
  return table(caption, [
    { label: 'Name', cell: (c) => c.name || '—' },
    { label: 'Kind', cell: (c) => c.kind },
    { label: 'Status', cell: (c) => badge(c.status) },
    { label: 'Detail', cell: (c) => c.detail || '—' },
    { label: 'Latency', cell: (c) => ms(c.latency_ms) },
    ...extra,
  ], rows, 'None.');
}

// The outcome of an action shown where it was taken, focused.
function say(box, node) {
  box.replaceChildren(node);
  node.setAttribute('tabindex', '-1');
  node.focus();
}

function retryTenant(c, out, recheck) {
  return h('button', {
    type: 'button',
    class: 'secondary',
    'aria-label': `Retry ${c.name}`,
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        const t = await api.call('POST', `/v1/tenants/${enc(c.id)}/retry`, { body: {} });
        say(out, h('p', { class: 'notice', role: 'status' }, `Tenant ${t.slug} is ${t.status}.`));
        recheck();
      } catch (err) {
        say(out, errorBox(err));
        e.target.disabled = false;
      }
    },
  }, 'Retry');
}

function health(sample, out, recheck) {
  return async () => {
    const r = await api.call('GET', '/v1/admin/fleet/health', { params: { sample } });
    const servers = r.checks.filter((c) => c.kind !== 'tenant');
    const failed = r.checks.filter(listedOnly);
    const sampled = r.checks.filter((c) => c.kind === 'tenant' && !listedOnly(c));
    return h('div', {},
      facts([
        ['Checked', when(r.checked_at)],
        ['Outcome', badge(r.ok ? 'ok' : 'fail')],
        ['Failed checks', String(r.failed)],
        ['Tenants', `${r.tenants.checked} checked of ${r.tenants.live} live`],
      ]),
      h('h2', { class: 'sub' }, 'Database servers'),
      checkRows('Database servers', servers),
      h('h2', { class: 'sub' }, 'Tenant databases (a sample)'),
      checkRows('Sampled tenants', sampled),
      h('h2', { class: 'sub' }, 'Failed tenants'),
      checkRows('Failed tenants', failed, [{ label: 'Action', cell: (c) => retryTenant(c, out, recheck) }]));
  };
}

function rerun(q, out) {
  return h('button', {
    type: 'button',
    class: 'secondary',
    'aria-label': `Migrate ${q.slug} again`,
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        const r = await api.call('POST', '/v1/admin/migrations', { body: { tenant: q.slug } });
        say(out, h('p', { class: 'notice', role: 'status' }, `Migration of ${q.slug} queued: `,
          h('a', { href: `#/jobs/${enc(r.job.id)}` }, 'follow the job')));
      } catch (err) {
        say(out, errorBox(err));
        e.target.disabled = false;
      }
    },
  }, 'Retry');
}

function migrations(out) {
  return async () => {
    const r = await api.call('GET', '/v1/admin/migrations');
    return h('div', {},
      h('p', { id: 'behind' }, r.behind ? `${r.behind} tenant services are behind the code's schemas.`
        : 'Every tenant service is at the code\'s schema.'),
      table('Quarantined migrations', [
        { label: 'Tenant', cell: (q) => h('a', { href: `#/tenants/${enc(q.slug)}` }, q.slug) },
        { label: 'Service', cell: (q) => q.service },
        { label: 'Version', cell: (q) => String(q.version) },
        { label: 'Error', cell: (q) => q.error || '—' },
        { label: 'Failed', cell: (q) => when(q.failed_at) },
        { label: 'Attempts', cell: (q) => String(q.attempts) },
        { label: 'Action', cell: (q) => rerun(q, out) },
      ], r.quarantined, 'No tenant is quarantined by a failed migration.'));
  };
}

export function fleetPage() {
  const out = h('div', {});
  const sample = h('input', { id: 'sample', type: 'number', min: 0, max: 500, value: '20', inputmode: 'numeric' });
  const checks = h('div', {});
  const behind = h('div', {});
  function check() {
    const n = sample.value === '' ? 20 : sample.value;
    checks.replaceChildren(loading('Health', health(n, out, check)));
    behind.replaceChildren(loading('Migrations', migrations(out)));
  }
  check();
  return h('div', { class: 'page' },
    h('h1', { tabindex: '-1' }, 'Fleet health'),
    h('form', {
      class: 'filters card',
      onsubmit: (e) => {
        e.preventDefault();
        out.replaceChildren();
        check();
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'sample' }, 'Tenant databases to sample (0–500)'), sample),
    h('button', { type: 'submit' }, 'Check again')),
    out, checks, behind);
}
