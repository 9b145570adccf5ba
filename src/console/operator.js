// operator.js — a superadmin's pages: #/tenants (every tenant: status
// filter and cursor paging from the API, search within the tenants
// loaded) and #/tenants/{slug} (one tenant: overview, suspend, resume).
import * as api from './api.js';
import { h, when, badge, errorBox, table, facts, confirm, loading } from './ui.js';

const STATUSES = ['active', 'suspended', 'provisioning', 'failed', 'deleting', 'deleted'];
const enc = encodeURIComponent;

function tenantLink(t) {
  return h('a', { href: `#/tenants/${enc(t.slug)}` }, t.slug);
}

export function tenantsPage() {
  let items = [];
  let next = null;
  const status = h('select', { id: 'status', onchange: () => reload() },
    h('option', { value: '' }, 'Any status'), STATUSES.map((s) => h('option', { value: s }, s)));
  const search = h('input', { id: 'search', type: 'search', placeholder: 'slug or name', oninput: () => draw(), autocomplete: 'off' });
  const list = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  const more = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => page() }, 'Load more');
  const counter = h('p', { class: 'muted', id: 'tenant-count' });

  function draw() {
    const q = search.value.trim().toLowerCase();
    const shown = q ? items.filter((t) => t.slug.includes(q) || (t.name || '').toLowerCase().includes(q)) : items;
    counter.textContent = `${shown.length} of ${items.length} loaded${next ? ' (more to load)' : ''}`;
    const open = q && /^[a-z0-9-]+$/.test(q) && !shown.some((t) => t.slug === q)
      ? h('p', {}, h('a', { href: `#/tenants/${enc(q)}` }, `Open the tenant “${q}”`)) : null;
    list.replaceChildren(table('Tenants', [
      { label: 'Slug', cell: tenantLink },
      { label: 'Name', cell: (t) => t.name || '—' },
      { label: 'Status', cell: (t) => badge(t.status) },
      { label: 'Plan', cell: (t) => t.plan || '—' },
      { label: 'Backend', cell: (t) => t.backend || '—' },
      { label: 'Services', cell: (t) => (t.services || []).join(', ') },
      { label: 'Created', cell: (t) => when(t.created_at) },
    ], shown, q ? 'No loaded tenant matches.' : 'No tenants.'), open || '');
    more.hidden = !next;
  }

  async function page() {
    more.disabled = true;
    try {
      const r = await api.call('GET', '/v1/tenants', { params: { status: status.value, cursor: next, limit: 50 } });
      items = items.concat(r.items);
      next = r.next_cursor;
      draw();
    } catch (e) {
      list.replaceChildren(errorBox(e));
    } finally {
      more.disabled = false;
    }
  }

  function reload() {
    items = [];
    next = null;
    page();
  }
  reload();

  return h('div', { class: 'page' },
    h('h1', { tabindex: '-1' }, 'Tenants'),
    h('section', { class: 'card' },
      h('div', { class: 'filters' },
        h('div', { class: 'field' }, h('label', { for: 'search' }, 'Search the loaded tenants'), search),
        h('div', { class: 'field' }, h('label', { for: 'status' }, 'Status'), status)),
      counter, list, more));
}

export function tenantPage(slug) {
  const msg = h('p', { role: 'status', class: 'notice', hidden: true, tabindex: '-1' });
  const failure = h('div', {});
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));

  async function act(t, verb) {
    const yes = await confirm(`${verb === 'suspend' ? 'Suspend' : 'Resume'} the tenant “${t.slug}”?${verb === 'suspend'
      ? ' Its users and keys are refused (403 tenant_suspended) until it is resumed.' : ''}`,
    verb === 'suspend' ? 'Suspend' : 'Resume');
    if (!yes) return;
    try {
      const n = await api.call('POST', `/v1/tenants/${enc(t.slug)}/${verb}`, { body: {} });
      failure.replaceChildren();
      msg.textContent = `Tenant ${n.slug} is ${n.status}.`;
      msg.hidden = false;
      show(n);
      msg.focus(); // the button pressed is gone: the outcome takes the focus
    } catch (e) {
      msg.hidden = true;
      failure.replaceChildren(errorBox(e));
    }
  }

  function show(t) {
    const action = t.status === 'active'
      ? h('button', { type: 'button', class: 'danger', onclick: () => act(t, 'suspend') }, 'Suspend…')
      : t.status === 'suspended'
        ? h('button', { type: 'button', onclick: () => act(t, 'resume') }, 'Resume…') : null;
    body.replaceChildren(
      h('section', { class: 'card' }, h('h2', {}, 'Overview'),
        facts([
          ['Name', t.name || '—'],
          ['Status', badge(t.status)],
          ['Plan', t.plan || '—'],
          ['Backend', t.backend || '—'],
          ['Created', when(t.created_at)],
          ['Updated', when(t.updated_at)],
          ['Id', h('code', {}, t.id)],
        ]),
        action ? h('div', { class: 'actions' }, action) : null),
      loading('Services', async () => {
        const r = await api.call('GET', `/v1/tenants/${enc(t.slug)}/services`);
        return h('ul', { class: 'chips' }, r.items.filter((s) => s.enabled !== false).map((s) => h('li', {}, s.name)));
      }));
  }

  api.call('GET', `/v1/tenants/${enc(slug)}`).then(show, (e) => body.replaceChildren(errorBox(e)));
  return h('div', { class: 'page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/tenants' }, '← All tenants')),
    h('h1', { tabindex: '-1' }, `Tenant ${slug}`), msg, failure, body);
}
