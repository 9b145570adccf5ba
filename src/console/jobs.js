// jobs.js — a superadmin's background jobs: #/jobs (filters by kind,
// state and tenant, cursor paging; GET /v1/admin/jobs), #/jobs/{id} (one
// job with its progress read again every second while it is queued or
// running; cancel, retry) and #/jobs/cron (the schedules: list, create,
// enable or disable, change the schedule, delete; /v1/admin/cron).
import * as api from './api.js';
import { h, when, badge, errorBox, table, facts, confirm, pagedList, shortId, filterForm, field } from './ui.js';

const enc = encodeURIComponent;
// The kinds of src/jobs/kinds.c (the API has no list of them).
export const KINDS = ['tenant.provision', 'tenant.backup', 'tenant.restore', 'tenant.move', 'tenants.migrate',
  'tenants.import', 'usage.rollup', 'outbox.drain', 'sessions.cleanup', 'credits.monthly', 'pg.spares'];
const STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const LIVE = new Set(['queued', 'running']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const POLL_MS = 1000;

function options(label, values) {
  return [h('option', { value: '' }, label), values.map((v) => h('option', { value: v }, v))];
}

function progressText(p) {
  return p && p.total ? `${p.done} of ${p.total}` : p && p.done ? String(p.done) : '—';
}

// Tenant ids → slugs, for showing a job's or a record's tenant by name:
// the first 200 tenants, read once per page (an id not among them is
// shown short).
export async function tenantSlugs() {
  try {
    const r = await api.call('GET', '/v1/tenants', { params: { limit: 200 } });
    return new Map(r.items.map((t) => [t.id, t.slug]));
  } catch {
    return new Map();
  }
}

export function tenantCell(slugs, id) {
  if (!id) return '—';
  const slug = slugs.get(id);
  return slug ? h('a', { href: `#/tenants/${enc(slug)}`, title: id }, slug) : shortId(id);
}

// The filter's tenant as the API wants it (an id): a slug is looked up.
async function tenantId(v) {
  if (!v || UUID.test(v)) return v;
  const t = await api.call('GET', `/v1/tenants/${enc(v)}`);
  return t.id;
}

export function jobsPage() {
  const kind = h('select', { id: 'kind', onchange: () => apply() }, options('Any kind', KINDS));
  const state = h('select', { id: 'state', onchange: () => apply() }, options('Any state', STATES));
  const tenant = h('input', { id: 'tenant', type: 'search', placeholder: 'slug or id', autocomplete: 'off' });
  // the filters as applied: "Load more" pages through these
  let shown = {};
  const apply = () => {
    shown = { kind: kind.value, state: state.value, tenant: tenant.value.trim() };
    list.reload();
  };
  const slugs = tenantSlugs();
  let names = new Map();
  const list = pagedList(async (cursor) => {
    names = await slugs;
    return api.call('GET', '/v1/admin/jobs', { params: { ...shown, tenant: await tenantId(shown.tenant), cursor, limit: 50 } });
  }, (items) => table('Jobs', [
    { label: 'Job', cell: (j) => h('a', { href: `#/jobs/${enc(j.id)}`, 'aria-label': `Job ${j.id}` }, shortId(j.id)) },
    { label: 'Kind', cell: (j) => j.kind },
    { label: 'State', cell: (j) => badge(j.state) },
    { label: 'Progress', cell: (j) => progressText(j.progress) },
    { label: 'Tenant', cell: (j) => tenantCell(names, j.tenant_id) },
    { label: 'Attempts', cell: (j) => `${j.attempts}/${j.max_attempts}` },
    { label: 'Created', cell: (j) => when(j.created_at) },
    { label: 'Finished', cell: (j) => when(j.finished_at) },
  ], items, 'No jobs match.'));
  apply();
  return h('div', { class: 'page' },
    h('h1', { tabindex: '-1' }, 'Jobs'),
    h('p', {}, h('a', { href: '#/jobs/cron' }, 'Schedules (cron) →')),
    h('section', { class: 'card' },
      filterForm(apply,
      field('Kind', kind), field('State', state), field('Tenant', tenant),
      h('button', { type: 'submit' }, 'Filter')),
      list.node));
}

// ---- one job -----------------------------------------------------------------

function jobFacts(j, slugs) {
  const p = j.progress || {};
  return [
    h('div', { class: 'job-progress' },
      h('label', { for: 'job-bar' }, `Progress: ${progressText(p)}${p.step ? ` · step ${p.step}` : ''}`),
      // no value while nothing is counted: an indeterminate bar
      h('progress', { id: 'job-bar', max: p.total || 1, value: p.total ? p.done : j.state === 'succeeded' ? 1 : null }),
      h('p', { class: 'muted', id: 'job-message' }, p.message || '')),
    facts([
      ['State', badge(j.state)],
      ['Kind', j.kind],
      ['Tenant', tenantCell(slugs, j.tenant_id)],
      ['Attempts', `${j.attempts} of ${j.max_attempts}`],
      ['Error', j.error || '—'],
      ['Created', when(j.created_at)],
      // a queued job waits for this (a retry's backoff); otherwise it says nothing
      ['Runs after', j.state === 'queued' ? when(j.run_after) : '—'],
      ['Started', when(j.started_at)],
      ['Finished', when(j.finished_at)],
      ['Id', h('code', {}, j.id)],
    ]),
    h('details', {}, h('summary', {}, 'Payload'), h('pre', {}, JSON.stringify(j.payload, null, 2))),
  ];
}

export function jobPage(id) {
  const path = `/v1/admin/jobs/${enc(id)}`;
  const msg = h('div', {});
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const said = h('p', { class: 'sr-only', role: 'status' }); // the state, announced when it changes
  const actions = h('div', { class: 'actions' });
  const page = h('div', { class: 'page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/jobs' }, '← All jobs')),
    h('h1', { tabindex: '-1' }, `Job …${id.slice(-8)}`), msg,
    h('section', { class: 'card' }, said, body, actions));
  let timer = null;
  let slugs = new Map();
  let last = ''; // the job as last drawn: an unchanged answer redraws nothing
  let state = '';

  async function act(verb, j) {
    if (verb === 'cancel' && !(await confirm(`Cancel the ${j.kind} job …${j.id.slice(-8)}?`, 'Cancel the job'))) return;
    try {
      const n = await api.call('POST', `${path}/${verb}`, { body: {} });
      msg.replaceChildren(h('p', { class: 'notice', role: 'status', tabindex: '-1' }, `The job is ${n.state}.`));
      show(n);
      msg.firstChild.focus();
    } catch (e) {
      msg.replaceChildren(errorBox(e));
    }
  }

  // Draws j when it changed; the open payload stays open, and the buttons
  // (which may hold the focus) are made again only when the state changed.
  function show(j) {
    const key = JSON.stringify(j);
    if (key !== last) {
      last = key;
      const open = body.querySelector('details[open]') !== null;
      body.replaceChildren(...jobFacts(j, slugs));
      if (open) body.querySelector('details').open = true;
    }
    if (j.state !== state) {
      if (state) said.textContent = `Job state: ${j.state}.`;
      state = j.state;
      actions.replaceChildren(...[
        LIVE.has(j.state) ? h('button', { type: 'button', class: 'danger', onclick: () => act('cancel', j) }, 'Cancel job…') : null,
        j.state === 'failed' || j.state === 'cancelled'
          ? h('button', { type: 'button', onclick: () => act('retry', j) }, 'Retry job') : null,
      ].filter(Boolean));
    }
    clearTimeout(timer);
    if (LIVE.has(j.state)) timer = setTimeout(poll, POLL_MS);
  }

  // Read again while the job lives and the page is shown: the router
  // replaces <main>'s children, which disconnects this page. A failed
  // read is shown and tried again.
  function poll() {
    if (!page.isConnected) return;
    api.call('GET', path).then((j) => {
      if (!page.isConnected) return;
      if (msg.querySelector('.error')) msg.replaceChildren();
      show(j);
    }, (e) => {
      if (!page.isConnected) return;
      msg.replaceChildren(errorBox(e));
      timer = setTimeout(poll, POLL_MS);
    });
  }

  Promise.all([api.call('GET', path), tenantSlugs()]).then(([j, m]) => {
    slugs = m;
    show(j);
  }, (e) => body.replaceChildren(errorBox(e)));
  return page;
}

// ---- schedules ---------------------------------------------------------------

function createForm(onCreated) {
  const name = h('input', { id: 'cron-name', required: true, pattern: '[a-z0-9._\\-]{1,63}', autocomplete: 'off', 'aria-describedby': 'cron-name-hint' });
  const sched = h('input', { id: 'cron-schedule', required: true, placeholder: '0 3 * * *', autocomplete: 'off', 'aria-describedby': 'cron-schedule-hint' });
  const kind = h('select', { id: 'cron-kind', required: true }, KINDS.map((k) => h('option', { value: k }, k)));
  const payload = h('textarea', { id: 'cron-payload', rows: 3, 'aria-describedby': 'cron-payload-hint' }, '{}');
  const enabled = h('input', { id: 'cron-enabled', type: 'checkbox', checked: true });
  const out = h('div', {});
  kind.value = 'tenant.backup';
  const form = h('form', {
    class: 'stack',
    onsubmit: async (e) => {
      e.preventDefault();
      let p;
      try {
        p = JSON.parse(payload.value || '{}');
      } catch {
        out.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'The payload is not JSON.'));
        payload.focus();
        return;
      }
      try {
        const s = await api.call('POST', '/v1/admin/cron', {
          body: { name: name.value.trim(), schedule: sched.value.trim(), kind: kind.value, payload: p, enabled: enabled.checked },
        });
        out.replaceChildren();
        form.reset();
        kind.value = 'tenant.backup';
        onCreated(s);
      } catch (err) {
        out.replaceChildren(errorBox(err));
      }
    },
  },
  h('div', { class: 'grid' },
    field('Name', name, '1–63 of a-z 0-9 . _ -'),
    field('Schedule', sched, 'minute hour day month weekday, in UTC'),
    field('Job kind', kind),
    field('Payload (JSON)', payload, 'for tenant.backup: {"tenant": "acme", "keep": 7}')),
  h('label', { class: 'choice' }, enabled, 'Enabled'),
  out,
  h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create schedule')));
  return h('section', { class: 'card' }, h('h2', {}, 'New schedule'), form);
}

export function cronPage() {
  const msg = h('div', {});
  const say = (text) => {
    msg.replaceChildren(h('p', { class: 'notice', role: 'status', tabindex: '-1' }, text));
    msg.firstChild.focus();
  };
  const fail = (e) => {
    msg.replaceChildren(errorBox(e));
  };
  const path = (s) => `/v1/admin/cron/${enc(s.name)}`;

  async function toggle(s) {
    try {
      const n = await api.call('PATCH', path(s), { body: { enabled: !s.enabled } });
      await list.reload();
      say(`${n.name} is ${n.enabled ? 'enabled' : 'disabled'}.`);
    } catch (e) {
      fail(e);
    }
  }

  async function reschedule(s, input) {
    try {
      const n = await api.call('PATCH', path(s), { body: { schedule: input.value.trim() } });
      await list.reload();
      say(`${n.name} now runs at “${n.schedule}”; next ${when(n.next_run)}.`);
    } catch (e) {
      fail(e);
    }
  }

  async function remove(s) {
    if (!(await confirm(`Delete the schedule “${s.name}”? Jobs it queued stay.`, 'Delete'))) return;
    try {
      await api.call('DELETE', path(s));
      await list.reload();
      say(`${s.name} is deleted.`);
    } catch (e) {
      fail(e);
    }
  }

  function scheduleCell(s) {
    const id = `sched-${s.name}`;
    const input = h('input', { id, value: s.schedule, size: 12, autocomplete: 'off' });
    return h('form', {
      class: 'inline',
      onsubmit: (e) => {
        e.preventDefault();
        reschedule(s, input);
      },
    }, h('label', { for: id, class: 'sr-only' }, `Schedule of ${s.name}`), input,
    h('button', { type: 'submit', class: 'secondary', 'aria-label': `Save the schedule of ${s.name}` }, 'Save'));
  }

  const list = pagedList(() => api.call('GET', '/v1/admin/cron'), (items) => table('Schedules', [
    { label: 'Name', cell: (s) => s.name },
    { label: 'Schedule (UTC)', cell: scheduleCell },
    { label: 'Kind', cell: (s) => s.kind },
    { label: 'Payload', cell: (s) => h('code', {}, JSON.stringify(s.payload || {})) },
    { label: 'State', cell: (s) => badge(s.enabled ? 'enabled' : 'disabled') },
    { label: 'Next run', cell: (s) => (s.enabled ? when(s.next_run) : '—') },
    {
      label: 'Actions',
      cell: (s) => h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'secondary', 'aria-label': `${s.enabled ? 'Disable' : 'Enable'} ${s.name}`, onclick: () => toggle(s) },
          s.enabled ? 'Disable' : 'Enable'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${s.name}…`, onclick: () => remove(s) }, 'Delete…')),
    },
  ], items, 'No schedules.'));
  list.reload();
  return h('div', { class: 'page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/jobs' }, '← All jobs')),
    h('h1', { tabindex: '-1' }, 'Schedules'),
    msg,
    h('section', { class: 'card' }, h('h2', {}, 'Schedules'), list.node),
    createForm(async (s) => {
      await list.reload();
      say(`${s.name} is created; next run ${when(s.next_run)}.`);
    }));
}
