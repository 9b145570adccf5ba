// audit.js — a superadmin's #/audit: the audit log of every tenant
// (GET /v1/admin/audit: filters by tenant, actor, action, resource and
// time, newest first, "Load more" from the cursor) and whether the hash
// chains verify (GET /v1/admin/audit/verify), shown as a badge.
import * as api from './api.js';
import { h, when, badge, errorBox, table, pagedList, isoFromLocal, shortId, filterForm, field } from './ui.js';
import { tenantSlugs, tenantCell } from './jobs.js';

// The filters the API takes: [query name, label, input type, hint].
const FILTERS = [
  ['tenant', 'Tenant', 'search', 'slug, id, or system'],
  ['actor', 'Actor (id)', 'search', ''],
  ['action', 'Action', 'search', 'e.g. tenant.suspend'],
  ['resource', 'Resource', 'search', ''],
  ['from', 'From', 'datetime-local', ''],
  ['to', 'Before', 'datetime-local', ''],
];

function verifyBadge() {
  const out = h('p', { id: 'audit-verify', 'aria-live': 'polite' }, h('span', { class: 'muted' }, 'Verifying the chains…'));
  api.call('GET', '/v1/admin/audit/verify').then((v) => {
    out.replaceChildren(v.ok
      ? h('span', { class: 'badge badge-ok' }, 'verified')
      : h('span', { class: 'badge badge-fail' }, `broken at ${v.tenant_id || 'the platform'} #${v.seq}`),
    ` ${v.chains} chains, ${v.records} records, ${v.anchors} anchors checked`,
    v.ok ? '' : `: ${v.reason || ''}`);
  }, (e) => out.replaceChildren(errorBox(e)));
  return out;
}

function records(items, slugs) {
  return table('Audit records', [
    { label: 'Time', cell: (r) => h('time', { datetime: r.at }, when(r.at)) },
    { label: 'Tenant', cell: (r) => (r.tenant_id ? tenantCell(slugs, r.tenant_id) : 'platform') },
    { label: 'Actor', cell: (r) => [r.actor_kind, ' ', r.actor_id ? shortId(r.actor_id) : ''] },
    { label: 'Action', cell: (r) => h('code', { class: 'audit-action' }, r.action) },
    { label: 'Resource', cell: (r) => [[r.service, r.resource].filter(Boolean).join('/') || '—', ' ', r.row_id ? shortId(r.row_id) : ''] },
    { label: 'Outcome', cell: (r) => badge(r.outcome) },
    { label: 'Detail', cell: (r) => (r.detail ? (typeof r.detail === 'string' ? r.detail : JSON.stringify(r.detail)) : '—') },
    { label: 'Client', cell: (r) => r.client_addr || '—' },
    { label: 'Seq', cell: (r) => String(r.seq) },
  ], items, 'No records match.');
}

export function auditPage() {
  const inputs = Object.fromEntries(FILTERS.map(([k, , type, hint]) =>
    [k, h('input', { id: `audit-${k}`, type, placeholder: hint || null, autocomplete: 'off' })]));
  const limit = h('select', { id: 'audit-limit' }, [20, 50, 200].map((n) => h('option', { value: n }, String(n))));
  limit.value = '50';
  // the filters as submitted: "Load more" pages through these, not
  // through what was typed since
  let shown = {};
  const params = () => {
    const p = { limit: limit.value };
    for (const [k, , type] of FILTERS) p[k] = type === 'datetime-local' ? isoFromLocal(inputs[k].value) : inputs[k].value.trim();
    return p;
  };
  const slugs = tenantSlugs();
  let names = new Map();
  const list = pagedList(async (cursor) => {
    names = await slugs;
    return api.call('GET', '/v1/admin/audit', { params: { ...shown, cursor } });
  }, (items) => records(items, names));
  const apply = () => {
    shown = params();
    list.reload();
  };
  apply();
  return h('div', { class: 'page' },
    h('h1', { tabindex: '-1' }, 'Audit log'),
    verifyBadge(),
    h('section', { class: 'card' },
      filterForm(apply,
      FILTERS.map(([k, label]) => field(label, inputs[k])),
      field('Per page', limit),
      h('button', { type: 'submit' }, 'Filter')),
      list.node));
}
