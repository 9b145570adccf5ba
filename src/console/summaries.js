// summaries.js — a superadmin's #/summaries: the figures the catalog
// keeps across tenants, without opening a tenant database — per service
// (GET /v1/admin/summary/services: a table and a bar chart), per tenant
// (GET /v1/admin/summary/tenants: the API's sorts, cursor paging) — and
// usage over time (GET /v1/admin/usage: bucket, range, tenant, service)
// as a line chart.
import * as api from './api.js';
import { h, when, badge, errorBox, table, facts, pagedList, bytes, isoFromLocal, filterForm, field } from './ui.js';
import { lineChart, barChart } from './chart.js';

const enc = encodeURIComponent;
const num = (v) => (typeof v === 'number' ? v.toLocaleString('en') : '—');

function select(id, pairs, onchange) {
  return h('select', { id, onchange }, pairs.map(([v, label]) => h('option', { value: v }, label)));
}

// ---- per service ---------------------------------------------------------------

const SERVICE_FIGURES = [['rows', 'Rows'], ['writes_last_day', 'Writes, last day'],
  ['writes_last_hour', 'Writes, last hour'], ['bytes', 'Bytes stored'], ['tenants', 'Tenants']];

function servicesSection() {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const chart = h('div', { class: 'chart-box' });
  let items = [];
  const figure = select('svc-figure', SERVICE_FIGURES, () => draw());
  function draw() {
    const label = SERVICE_FIGURES.find(([k]) => k === figure.value)[1];
    chart.replaceChildren(barChart(items.map((s) => ({ label: s.service, v: s[figure.value] })),
      { label: `${label} per service`, unit: figure.value === 'bytes' ? 'B' : '' }));
  }
  api.call('GET', '/v1/admin/summary/services').then((r) => {
    items = r.items;
    body.replaceChildren(table('Services', [
      { label: 'Service', cell: (s) => s.service },
      { label: 'Tenants', cell: (s) => num(s.tenants) },
      { label: 'Rows', cell: (s) => num(s.rows) },
      { label: 'Stored', cell: (s) => bytes(s.bytes) },
      { label: 'Writes, last hour', cell: (s) => num(s.writes_last_hour) },
      { label: 'Writes, last day', cell: (s) => num(s.writes_last_day) },
      { label: 'Last write', cell: (s) => when(s.last_write_at) },
    ], items, 'No service has figures yet.'));
    draw();
  }, (e) => body.replaceChildren(errorBox(e)));
  return h('section', { class: 'card' }, h('h2', {}, 'Services'), body,
    h('div', { class: 'filters' }, field('Chart', figure)), chart);
}

// ---- per tenant ----------------------------------------------------------------

const SORTS = [['slug', 'Slug (A–Z)'], ['-slug', 'Slug (Z–A)'], ['-rows', 'Most rows'], ['rows', 'Fewest rows'],
  ['-bytes', 'Most bytes'], ['bytes', 'Fewest bytes'], ['-last_activity', 'Latest activity'], ['last_activity', 'Oldest activity']];

function tenantsSection() {
  const sort = select('sum-sort', SORTS, () => list.reload());
  const list = pagedList((cursor) => api.call('GET', '/v1/admin/summary/tenants',
    { params: { sort: sort.value, cursor, limit: 50 } }), (items) => table('Tenants', [
    { label: 'Tenant', cell: (t) => h('a', { href: `#/tenants/${enc(t.slug)}` }, t.slug) },
    { label: 'Status', cell: (t) => badge(t.status) },
    { label: 'Plan', cell: (t) => t.plan || '—' },
    { label: 'Services', cell: (t) => (t.services || []).join(', ') || '—' },
    { label: 'Users', cell: (t) => num(t.users) },
    { label: 'Rows', cell: (t) => num(t.rows) },
    { label: 'Stored', cell: (t) => bytes(t.bytes) },
    { label: 'Last activity', cell: (t) => when(t.last_activity) },
  ], items, 'No tenants.'));
  list.reload();
  return h('section', { class: 'card' }, h('h2', {}, 'Tenants'),
    h('div', { class: 'filters' }, field('Sort by', sort)), list.node);
}

// ---- usage over time -----------------------------------------------------------

const USAGE_FIGURES = [['requests', 'Requests'], ['writes', 'Writes'], ['rows_written', 'Rows written'],
  ['bytes_in', 'Bytes in'], ['bytes_out', 'Bytes out'], ['storage_bytes', 'Storage (bytes)']];

function usageSection() {
  const bucket = select('use-bucket', [['hour', 'Hour'], ['day', 'Day']]);
  const from = h('input', { id: 'use-from', type: 'datetime-local' });
  const to = h('input', { id: 'use-to', type: 'datetime-local' });
  const tenant = h('input', { id: 'use-tenant', type: 'search', placeholder: 'slug or id; empty: all', autocomplete: 'off' });
  const service = h('input', { id: 'use-service', type: 'search', placeholder: 'e.g. crm', autocomplete: 'off' });
  const figure = select('use-figure', USAGE_FIGURES, () => draw());
  const out = h('div', { 'aria-live': 'polite' });
  let last = null;
  function draw() {
    if (!last) return;
    const [k, label] = USAGE_FIGURES.find(([f]) => f === figure.value);
    const per = last.bucket === 'day' ? 'day' : 'hour';
    out.replaceChildren(
      h('div', { class: 'chart-box' }, lineChart(last.items.map((b) => ({ t: b.start, v: b[k] })),
        { label: `${label} per ${per}${last.tenant ? '' : ', every tenant'}${last.service ? `, ${last.service}` : ''}`, height: 220 })),
      facts(USAGE_FIGURES.map(([f, l]) => [`${l}, total`, num(last.totals[f])])),
      h('p', { class: 'muted' }, `From ${when(last.from)} to ${when(last.to)}; only buckets with figures are drawn.`));
  }
  async function load() {
    out.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      last = await api.call('GET', '/v1/admin/usage', {
        params: { bucket: bucket.value, from: isoFromLocal(from.value), to: isoFromLocal(to.value), tenant: tenant.value.trim(), service: service.value.trim() },
      });
      draw();
    } catch (e) {
      out.replaceChildren(errorBox(e));
    }
  }
  load();
  return h('section', { class: 'card' }, h('h2', {}, 'Usage over time'),
    filterForm(load,
    field('Bucket', bucket), field('From', from), field('Before', to),
    field('Tenant', tenant), field('Service', service),
    h('button', { type: 'submit' }, 'Show')),
    h('div', { class: 'filters' }, field('Figure', figure)),
    out);
}

export function summariesPage() {
  return h('div', { class: 'page' },
    h('h1', { tabindex: '-1' }, 'Summaries'),
    h('p', { class: 'muted' }, 'From the catalog’s figures: they trail the writes by a second or so.'),
    servicesSection(), tenantsSection(), usageSection());
}
