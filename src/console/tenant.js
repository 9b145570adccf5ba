// tenant.js — #/tenant: a tenant's user sees its own tenant (overview,
// onboarding steps) and its users (an admin sees every user, others only
// themselves: the API decides).
import * as api from './api.js';
import { h, when, badge, table, facts, loading } from './ui.js';

const enc = encodeURIComponent;

async function overview(tid) {
  const t = await api.call('GET', `/v1/tenants/${enc(tid)}`);
  return facts([
    ['Slug', t.slug],
    ['Name', t.name || '—'],
    ['Status', badge(t.status)],
    ['Plan', t.plan || '—'],
    ['Services', (t.services || []).join(', ') || '—'],
    ['Backend', t.backend || '—'],
    ['Created', when(t.created_at)],
  ]);
}

async function onboarding() {
  const o = await api.call('GET', '/v1/onboarding');
  const done = o.steps.filter((s) => s.status === 'done' || s.status === 'skipped').length;
  return h('div', {},
    h('p', {}, o.complete ? 'Set-up is complete.' : `${done} of ${o.steps.length} steps done; next: ${o.next}.`),
    h('progress', { max: o.steps.length, value: done, 'aria-label': 'Onboarding progress' }),
    h('ol', { class: 'steps' }, o.steps.map((s) =>
      h('li', {}, h('span', { class: 'step-name' }, s.step), ' ', badge(s.status),
        s.skippable ? h('span', { class: 'muted' }, ' (optional)') : null))));
}

async function users() {
  const r = await api.call('GET', '/v1/auth/users');
  return table('Users', [
    { label: 'Email', cell: (u) => u.email },
    { label: 'Name', cell: (u) => u.name || '—' },
    { label: 'Role', cell: (u) => u.role },
    { label: 'Services', cell: (u) => (u.services && u.services.length ? u.services.join(', ') : 'all') },
    { label: 'State', cell: (u) => badge(u.disabled ? 'disabled' : 'active') },
    { label: 'Last sign-in', cell: (u) => when(u.last_login_at) },
  ], r.items, 'No users.');
}

export function ownTenantPage() {
  const s = api.current();
  const tid = s.tenant ? s.tenant.id : null;
  const slug = s.tenant ? s.tenant.slug : '';
  return h('div', { class: 'page' },
    h('h1', { tabindex: '-1' }, `Tenant ${slug}`),
    h('div', { class: 'grid' },
      loading('Overview', () => overview(tid)),
      loading('Onboarding', onboarding)),
    loading('Users', users));
}
