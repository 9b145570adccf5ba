// tenant.js — #/tenant: a tenant's user sees its own tenant (overview,
// onboarding steps), its users and its API keys (people.js: an admin
// manages both; others see what the API gives them).
import * as api from './api.js';
import { h, when, badge, facts, loading } from './ui.js';
import { usersPanel, keysPanel } from './people.js';

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
        s.skippable ? h('span', { class: 'muted' }, ' (optional)') : null))),
    h('p', {}, h('a', { href: '#/onboarding' }, o.complete ? 'Review the set-up' : 'Continue the set-up')));
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
    usersPanel(),
    keysPanel());
}
