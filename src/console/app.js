// app.js — the console's entry point: hash routes, the header, and what
// happens when the session changes. Each kind of user has its own pages;
// a route of another kind sends the user home.
import * as api from './api.js';
import { h } from './ui.js';
import { loginPage } from './login.js';
import { tenantsPage } from './operator.js';
import { newTenantPage } from './tenant-new.js';
import { tenantPage } from './tenant-detail.js';
import { ownTenantPage } from './tenant.js';
import { accountPage } from './account.js';
import { fleetPage } from './fleet.js';
import { jobsPage, jobPage, cronPage } from './jobs.js';
import { auditPage } from './audit.js';
import { summariesPage } from './summaries.js';
import { signupPage } from './signup.js';
import { onboardingPage } from './onboarding.js';
import { dataPage, resourcePage } from './data.js';

const HOME = { operator: '#/tenants', tenant: '#/tenant', owner: '#/account' };

// [pattern, kind allowed (null: signed out), page(match), title]
const ROUTES = [
  [/^#\/login$/, null, () => loginPage(notice), 'Sign in'],
  [/^#\/tenants$/, 'operator', () => tenantsPage(), 'Tenants'],
  [/^#\/tenants\/new$/, 'operator', () => newTenantPage(), 'New tenant'],
  [/^#\/tenants\/([a-z0-9-]+)(?:\/([a-z-]+))?$/, 'operator', (m) => tenantPage(m[1], m[2]), 'Tenant'],
  [/^#\/tenant$/, 'tenant', () => ownTenantPage(), 'My tenant'],
  [/^#\/account$/, 'owner', () => accountPage(), 'My tenants'],
  [/^#\/fleet$/, 'operator', () => fleetPage(), 'Fleet health'],
  [/^#\/jobs$/, 'operator', () => jobsPage(), 'Jobs'],
  [/^#\/jobs\/cron$/, 'operator', () => cronPage(), 'Schedules'],
  [/^#\/jobs\/([0-9a-f-]{36})$/, 'operator', (m) => jobPage(m[1]), 'Job'],
  [/^#\/audit$/, 'operator', () => auditPage(), 'Audit log'],
  [/^#\/summaries$/, 'operator', () => summariesPage(), 'Summaries'],
  [/^#\/signup$/, null, () => signupPage(), 'Sign up'],
  [/^#\/onboarding$/, 'tenant', () => onboardingPage(), 'Set-up'],
  [/^#\/data$/, 'tenant', () => dataPage(), 'Data'],
  [/^#\/data\/([a-z0-9_-]+)\/([a-z0-9_-]+)$/, 'tenant', (m) => resourcePage(m[1], m[2]), 'Data'],
];

let notice = null; // shown once on the sign-in page ("you were signed out")
const main = document.getElementById('main');
const top = document.getElementById('top');

// The header's links for each kind of user: [hash, label, shown(session)?].
const NAV = {
  operator: [['#/tenants', 'Tenants'], ['#/fleet', 'Fleet'], ['#/jobs', 'Jobs'], ['#/audit', 'Audit'],
    ['#/summaries', 'Summaries']],
  tenant: [['#/tenant', 'My tenant'], ['#/onboarding', 'Set-up', (s) => s.user.role === 'admin'], ['#/data', 'Data']],
  owner: [['#/account', 'My tenants']],
};

function header(s) {
  const k = api.kind(s);
  const nav = NAV[k].filter(([, , shown]) => !shown || shown(s)).map(([href, label]) =>
    h('a', { href, 'aria-current': location.hash.startsWith(href) ? 'page' : null }, label));
  if (s.parent) nav.push(h('button', { type: 'button', class: 'link', onclick: () => api.back() }, '← Back to my tenants'));
  const who = `${s.user.email} · ${s.user.role}${s.tenant ? ` · ${s.tenant.slug}` : ''}`;
  top.replaceChildren(
    h('a', { class: 'brand', href: HOME[k] }, h('img', { src: '/console/icon.svg', alt: '', width: 24, height: 24 }), 'tenantd'),
    h('nav', { 'aria-label': 'Main' }, nav),
    h('span', { class: 'who', id: 'who' }, who),
    h('button', { type: 'button', class: 'secondary', id: 'logout', onclick: () => api.logout() }, 'Sign out'));
  top.hidden = false;
}

function render() {
  const s = api.current();
  const k = api.kind(s);
  const hash = location.hash;
  const route = ROUTES.find((r) => r[0].test(hash));
  // signed out: the pages for no one (sign-in, sign-up), else sign-in
  const want = !s ? (route && !route[1] ? null : '#/login') : !route || route[1] !== k ? HOME[k] : null;
  if (want && want !== hash) {
    location.replace(want); // fires hashchange: render runs again
    return;
  }
  if (s) header(s);
  else top.hidden = true;
  const m = hash.match(route[0]);
  main.replaceChildren(route[2](m));
  document.title = `${route[3]}${m[1] ? ` ${m[1]}` : ''} · tenantd console`;
  notice = null;
  const h1 = main.querySelector('[data-focus]') || main.querySelector('h1');
  if (h1) h1.focus({ preventScroll: true });
}

api.onChange((reason) => {
  if (reason === 'refreshed') return; // same user, same page
  if (reason === 'expired') notice = 'Your session ended: sign in again.';
  if (reason === 'signed-out') notice = 'You are signed out.';
  const s = api.current();
  const target = !s ? '#/login' : reason === 'signed-up' ? '#/onboarding' : HOME[api.kind(s)];
  if (location.hash === target) render();
  else location.hash = target;
});
window.addEventListener('hashchange', render);
render();
