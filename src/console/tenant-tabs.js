// tenant-tabs.js — the first sections of a tenant's page (tenant-detail.js
// says what ctx holds): overview, services (enable / disable), hostnames
// (add / remove), backups (take one and follow its job, download, restore
// in place or as a new tenant).
import * as api from './api.js';
import { h, when, badge, errorBox, table, facts, confirm, loading, bytes, field } from './ui.js';
import { jobView, followJob } from './jobwatch.js';
import { formDialog } from './tenant-actions.js';

const enc = encodeURIComponent;
const base = (ctx) => `/v1/tenants/${enc(ctx.t.id)}`;

// The tenant's row of the catalog's summary (users, rows, bytes, last
// activity), looked for in the first 1000 tenants by slug.
async function figures(ctx) {
  const r = await api.call('GET', '/v1/admin/summary/tenants', { params: { limit: 1000 } });
  const f = r.items.find((x) => x.id === ctx.t.id);
  if (!f) return h('p', { class: 'muted' }, 'No figures: the summary lists live tenants only.');
  return facts([['Users', String(f.users)], ['Rows', String(f.rows)], ['Stored', bytes(f.bytes)],
    ['Last activity', when(f.last_activity)]]);
}

export function overviewTab(ctx) {
  const t = ctx.t;
  return h('div', { class: 'grid' },
    h('section', { class: 'card' }, h('h2', {}, 'Overview'),
      facts([
        ['Name', t.name || '—'],
        ['Status', badge(t.status)],
        ['Plan', t.plan || '—'],
        ['Backend', t.backend || '—'],
        ['Services', h('ul', { class: 'chips' }, (t.services || []).map((s) => h('li', {}, s)))],
        ['Created', when(t.created_at)],
        ['Updated', when(t.updated_at)],
        t.deleted_at ? ['Deleted', when(t.deleted_at)] : null,
        t.error ? ['Error', t.error] : null,
        ['Id', h('code', {}, t.id)],
      ].filter(Boolean))),
    loading('Figures', () => figures(ctx)));
}

// Every service the server knows, the tenant's enabled ones marked.
export function servicesTab(ctx) {
  const sec = loading('Services', async () => {
    const [known, mine] = await Promise.all([
      api.call('GET', '/v1/admin/summary/services'),
      api.call('GET', `${base(ctx)}/services`),
    ]);
    const on = new Set(mine.items.filter((s) => s.enabled !== false).map((s) => s.name));
    return table('Services', [
      { label: 'Service', cell: (s) => s.service },
      { label: 'State', cell: (s) => badge(on.has(s.service) ? 'enabled' : 'off') },
      { label: 'Action', cell: (s) => (s.service === 'auth' ? h('span', { class: 'muted' }, 'always on')
        : h('button', { type: 'button', class: on.has(s.service) ? 'secondary' : null,
          onclick: () => toggle(ctx, s.service, on.has(s.service)) }, `${on.has(s.service) ? 'Disable' : 'Enable'} ${s.service}…`)) },
    ], known.items);
  });
  return sec;
}

async function toggle(ctx, svc, enabled) {
  const q = enabled
    ? `Disable ${svc} for ${ctx.slug}? Its data stays and comes back when it is enabled again.`
    : `Enable ${svc} for ${ctx.slug}? Its tables are made in the tenant's database.`;
  if (!(await confirm(q, enabled ? 'Disable' : 'Enable'))) return;
  try {
    if (enabled) await api.call('DELETE', `${base(ctx)}/services/${enc(svc)}`);
    else await api.call('POST', `${base(ctx)}/services`, { body: { service: svc } });
    await ctx.reload();
    ctx.say(`${svc} is ${enabled ? 'disabled' : 'enabled'} for ${ctx.slug}.`);
  } catch (e) {
    ctx.say(`Not done: ${e.message}`);
  }
}

export function hostnamesTab(ctx) {
  const input = h('input', { id: 'hostname', autocomplete: 'off', placeholder: 'app.example.com', required: true });
  const err = h('div', {});
  const add = h('form', { class: 'filters', onsubmit: async (e) => {
    e.preventDefault();
    err.replaceChildren();
    try {
      const name = input.value.trim();
      await api.call('POST', `${base(ctx)}/hostnames`, { body: { hostname: name } });
      await ctx.reload();
      ctx.say(`${name} now reaches ${ctx.slug}.`);
    } catch (x) {
      err.replaceChildren(errorBox(x));
      input.focus();
    }
  } },
  h('div', { class: 'field' }, h('label', { for: 'hostname' }, 'Add a hostname'), input),
  h('button', { type: 'submit' }, 'Add'));
  const list = loading(null, async () => {
    const r = await api.call('GET', `${base(ctx)}/hostnames`);
    return table('Hostnames', [
      { label: 'Hostname', cell: (x) => x.hostname },
      { label: 'Action', cell: (x) => h('button', { type: 'button', class: 'secondary', onclick: () => unhost(ctx, x.hostname) }, `Remove ${x.hostname}…`) },
    ], r.items, 'No custom hostnames: the tenant is reached by X-Tenant or its slug.');
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Hostnames'),
    h('p', { class: 'muted' }, 'Requests with one of these Host names resolve to this tenant.'), add, err, list);
}

async function unhost(ctx, name) {
  if (!(await confirm(`Remove ${name}? Requests to it stop reaching ${ctx.slug}.`, 'Remove'))) return;
  try {
    await api.call('DELETE', `${base(ctx)}/hostnames/${enc(name)}`);
    await ctx.reload();
    ctx.say(`${name} was removed.`);
  } catch (e) {
    ctx.say(`Not done: ${e.message}`);
  }
}

// The file needs the bearer token: fetched as a blob, saved through an
// object URL (same origin: the CSP allows it), released at once.
async function download(ctx, b) {
  const { blob, filename } = await api.call('GET', `${base(ctx)}/backups/${enc(b.id)}/download`, { as: 'blob' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  ctx.say(`Downloaded ${filename} (${bytes(blob.size)}).`);
}

export function backupsTab(ctx) {
  const jobArea = h('div', {});
  const take = h('button', { type: 'button', onclick: () => run(() => api.call('POST', `${base(ctx)}/backups`, { body: {} }), 'Backup') }, 'Take a backup');
  const listBox = h('div', {});

  async function run(start, what) {
    take.disabled = true;
    try {
      const r = await start();
      const view = jobView();
      jobArea.replaceChildren(view);
      draw();
      const j = await followJob(r.job, view);
      if (!j) return;
      draw();
      ctx.say(`${what} ${j.state}.`);
    } catch (e) {
      jobArea.replaceChildren(errorBox(e));
    } finally {
      take.disabled = false;
    }
  }

  async function restore(b, asNew) {
    if (!asNew) {
      if (!(await confirm(`Restore ${ctx.slug} to the backup of ${when(b.created_at)}? Everything written since is replaced.`, 'Restore'))) return;
      run(() => api.call('POST', `${base(ctx)}/backups/${enc(b.id)}/restore`, { body: {} }), 'Restore');
      return;
    }
    const slug = h('input', { autocomplete: 'off', pattern: '[a-z][a-z0-9\\-]{1,62}' });
    const r = await formDialog(`Restore as a new tenant`, [
      h('p', {}, `A copy of ${ctx.slug} as it was at ${when(b.created_at)}, under a new slug.`), field('New slug', slug)],
    'Restore as new', () => api.call('POST', `${base(ctx)}/backups/${enc(b.id)}/restore`, { body: { as: slug.value.trim() } }),
    { ready: () => slug.value.trim() !== '' });
    if (r) run(async () => r, `Restore as ${slug.value.trim()}`);
  }

  function draw() {
    listBox.replaceChildren(loading(null, async () => {
      const r = await api.call('GET', `${base(ctx)}/backups`);
      return table('Backups', [
        { label: 'Taken', cell: (b) => when(b.created_at) },
        { label: 'Status', cell: (b) => badge(b.status) },
        { label: 'Size', cell: (b) => bytes(b.size) },
        { label: 'Rows', cell: (b) => String(b.rows) },
        { label: 'Checksum', cell: (b) => (b.checksum ? h('code', { title: b.checksum }, b.checksum.slice(0, 12)) : b.error || '—') },
        { label: 'Actions', cell: (b) => (b.status !== 'ready' ? '—' : h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'secondary', onclick: () => download(ctx, b).catch((e) => ctx.say(`Not done: ${e.message}`)) }, 'Download'),
          h('button', { type: 'button', class: 'secondary', onclick: () => restore(b, false) }, 'Restore…'),
          h('button', { type: 'button', class: 'secondary', onclick: () => restore(b, true) }, 'Restore as new…'))) },
      ], r.items, 'No backups yet.');
    }));
  }
  draw();
  return h('section', { class: 'card' }, h('h2', {}, 'Backups'),
    h('div', { class: 'actions start' }, take), jobArea, listBox);
}
