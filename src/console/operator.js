// operator.js — a superadmin's #/tenants: every tenant (status filter and
// cursor paging from the API; typing filters the tenants loaded at once,
// Enter asks the API for every tenant that matches, `q`), with its
// users, rows and bytes from the catalog's summary, and the way to the
// create wizard (tenant-new.js). One tenant's page is tenant-detail.js.
import * as api from './api.js';
import { h, when, badge, errorBox, table, bytes } from './ui.js';

const STATUSES = ['active', 'suspended', 'provisioning', 'failed', 'deleting', 'deleted'];
const enc = encodeURIComponent;

// By slug, but a tenant named "new" by its id (#/tenants/new is the wizard).
function tenantLink(t) {
  return h('a', { href: `#/tenants/${enc(t.slug === 'new' ? t.id : t.slug)}` }, t.slug);
}

export function tenantsPage() {
  let items = [];
  let next = null;
  const figures = new Map(); // tenant id → its row of /v1/admin/summary/tenants
  let summaryNext; // undefined: not asked yet; null: every page read
  const status = h('select', { id: 'status', onchange: () => reload() },
    h('option', { value: '' }, 'Any status'), STATUSES.map((s) => h('option', { value: s }, s)));
  let asked = ''; // the text the API was asked for (q), '' for none
  const search = h('input', { id: 'search', type: 'search', placeholder: 'slug or name', autocomplete: 'off',
    'aria-describedby': 'search-hint', oninput: () => (asked && !search.value.trim() ? ask('') : draw()) });
  const everywhere = h('button', { type: 'submit', class: 'secondary', hidden: true }, '');
  const list = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  const more = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => page() }, 'Load more');
  const counter = h('p', { class: 'muted', id: 'tenant-count' });

  function draw() {
    const q = search.value.trim().toLowerCase();
    const shown = q ? items.filter((t) => t.slug.includes(q) || (t.name || '').toLowerCase().includes(q)) : items;
    counter.textContent = `${shown.length} of ${items.length} loaded${asked ? ` matching “${asked}”` : ''}${next ? ' (more to load)' : ''}`;
    everywhere.hidden = !(q && q !== asked && next);
    everywhere.textContent = `Search every tenant for “${q}”`;
    const open = q && /^[a-z0-9-]+$/.test(q) && !shown.some((t) => t.slug === q)
      ? h('p', {}, h('a', { href: `#/tenants/${enc(q)}` }, `Open the tenant “${q}”`)) : null;
    list.replaceChildren(table('Tenants', [
      { label: 'Slug', cell: tenantLink },
      { label: 'Name', cell: (t) => t.name || '—' },
      { label: 'Status', cell: (t) => badge(t.status) },
      { label: 'Plan', cell: (t) => t.plan || '—' },
      { label: 'Backend', cell: (t) => t.backend || '—' },
      { label: 'Services', cell: (t) => (t.services || []).join(', ') },
      { label: 'Users', cell: (t) => figure(t, 'users') },
      { label: 'Rows', cell: (t) => figure(t, 'rows') },
      { label: 'Stored', cell: (t) => (figures.has(t.id) ? bytes(figures.get(t.id).bytes) : '—') },
      { label: 'Created', cell: (t) => when(t.created_at) },
    ], shown, q ? 'No loaded tenant matches.' : 'No tenants.'), open || '');
    more.hidden = !next;
  }

  function figure(t, k) {
    const f = figures.get(t.id);
    return f ? String(f[k]) : '—';
  }

  // The summary pages in its own order (by slug): one more page of it is
  // read per page of tenants, and only while a loaded tenant lacks figures.
  async function summary() {
    if (summaryNext === null || items.every((t) => figures.has(t.id) || t.status === 'deleted')) return;
    try {
      const r = await api.call('GET', '/v1/admin/summary/tenants', { params: { limit: 1000, cursor: summaryNext } });
      for (const f of r.items) figures.set(f.id, f);
      summaryNext = r.next_cursor;
    } catch {
      summaryNext = null; // the figures are extra: the list stands without them
    }
  }

  let gen = 0; // a reload starts a new list: an answer for an older one is dropped
  async function page() {
    const mine = gen;
    more.disabled = true;
    try {
      const r = await api.call('GET', '/v1/tenants', { params: { status: status.value, q: asked, cursor: next, limit: 50 } });
      if (mine !== gen) return;
      items = items.concat(r.items);
      next = r.next_cursor;
      await summary();
      draw();
    } catch (e) {
      if (mine === gen) list.replaceChildren(errorBox(e));
    } finally {
      more.disabled = false;
    }
  }

  function reload() {
    gen += 1;
    items = [];
    next = null;
    page();
  }

  function ask(q) {
    asked = [...q].slice(0, 100).join(''); // as typed: the database folds the case
    reload();
  }
  reload();

  return h('div', { class: 'page' },
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1' }, 'Tenants'),
      h('a', { class: 'button', href: '#/tenants/new' }, 'New tenant')),
    h('section', { class: 'card' },
      h('form', { class: 'filters', role: 'search', onsubmit: (e) => {
        e.preventDefault();
        ask(search.value.trim());
      } },
      h('div', { class: 'field' }, h('label', { for: 'search' }, 'Search the loaded tenants'), search,
        h('p', { class: 'hint', id: 'search-hint' }, 'Typing filters the tenants loaded; Enter searches every tenant.')),
      h('div', { class: 'field' }, h('label', { for: 'status' }, 'Status'), status), everywhere),
      counter, list, more));
}
