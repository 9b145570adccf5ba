// tenant-detail.js — #/tenants/{slug}[/{tab}], one tenant for a
// superadmin: its name and status, the actions on it (tenant-actions.js)
// and a tablist of sections. The tab is in the hash (a reload keeps it);
// the tabs follow the WAI-ARIA tabs pattern (arrow keys, Home, End move
// and select). TABS is the one list of sections: [id, label, render],
// where render(ctx) returns the panel's Node and ctx is
//   { t: the tenant (GET /v1/tenants/{slug}), slug,
//     tenantHeaders: {'X-Tenant': id} for tenant-scoped routes,
//     say(text): an outcome in the page's status line (focused),
//     reload(): fetch the tenant again, redraw the head and this tab,
//     gone(): the tenant was deleted, nothing more to show,
//     live(): whether the page is still shown (a follower stops when not) }.
import * as api from './api.js';
import { h, badge, errorBox } from './ui.js';
import { actionsBar } from './tenant-actions.js';
import { overviewTab, servicesTab, hostnamesTab, backupsTab } from './tenant-tabs.js';
import { usageTab, creditsTab, subscriptionTab, auditTab } from './tenant-records.js';
import { usersPanel, keysPanel } from './people.js';

const enc = encodeURIComponent;

export const TABS = [
  ['overview', 'Overview', overviewTab],
  ['services', 'Services', servicesTab],
  ['users', 'Users', (ctx) => usersPanel({ tenant: ctx.t.id, heading: false })],
  ['keys', 'API keys', (ctx) => keysPanel({ tenant: ctx.t.id, heading: false })],
  ['hostnames', 'Hostnames', hostnamesTab],
  ['backups', 'Backups', backupsTab],
  ['usage', 'Usage', usageTab],
  ['credits', 'Credits', creditsTab],
  ['subscription', 'Subscription', subscriptionTab],
  ['audit', 'Audit', auditTab],
];

function hashFor(slug, id) {
  return id === TABS[0][0] ? `#/tenants/${enc(slug)}` : `#/tenants/${enc(slug)}/${id}`;
}

// The tablist and its one panel. select(id, focus) draws that tab's panel.
function tabs(ctx, initial) {
  let current = TABS.some((x) => x[0] === initial) ? initial : TABS[0][0];
  const buttons = TABS.map(([id, label]) => h('button', {
    type: 'button', role: 'tab', id: `tab-${id}`, 'aria-controls': 'tab-panel',
    onclick: () => select(id, true),
  }, label));
  const list = h('div', { role: 'tablist', 'aria-label': `Sections of ${ctx.slug}`, class: 'tabs', onkeydown: keys }, buttons);
  const panel = h('div', { role: 'tabpanel', id: 'tab-panel', tabindex: '0', class: 'tab-panel' });

  function keys(e) {
    const i = TABS.findIndex((x) => x[0] === current);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    select(TABS[(to + TABS.length) % TABS.length][0], true);
  }

  function select(id, focus) {
    current = id;
    buttons.forEach((b, i) => {
      const on = TABS[i][0] === id;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      if (on && focus) b.focus();
    });
    panel.setAttribute('aria-labelledby', `tab-${id}`);
    const want = hashFor(ctx.slug, id);
    // replaceState fires no hashchange: the page stays, the reload keeps the tab
    if (location.hash !== want) history.replaceState(null, '', want);
    const render = TABS.find((x) => x[0] === id)[2];
    let node;
    try {
      node = render(ctx);
    } catch (e) {
      node = errorBox(e);
    }
    panel.replaceChildren(node);
  }

  return { el: h('div', { class: 'tabbed' }, list, panel), select, current: () => current };
}

export function tenantPage(slug, tab) {
  const msg = h('p', { role: 'status', class: 'notice', hidden: true, tabindex: '-1', id: 'tenant-msg' });
  const head = h('div', { class: 'tenant-head' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const title = h('h1', { tabindex: '-1' }, `Tenant ${slug}`);
  let view = null;
  const ctx = {
    slug,
    t: null,
    tenantHeaders: {},
    say(text) {
      msg.textContent = text;
      msg.hidden = false;
      msg.focus();
    },
    live: () => msg.isConnected,
    gone() { // deleted: the tombstone is all there is
      ctx.t = { ...ctx.t, status: 'deleted' };
      view = null;
      head.replaceChildren(h('p', { class: 'tenant-status' }, badge('deleted'), ' ', ctx.t.name || ''));
      body.replaceChildren(h('p', {}, 'Its data is gone; its tombstone is listed under the status “deleted”. ',
        h('a', { href: '#/tenants' }, 'All tenants')));
    },
    async reload() {
      adopt(await api.call('GET', `/v1/tenants/${enc(ctx.t ? ctx.t.id : slug)}`));
      if (view) view.select(view.current(), false);
    },
  };

  function adopt(t) {
    ctx.t = t;
    title.textContent = `Tenant ${t.slug}`; // opened by id, it is named by its slug
    ctx.tenantHeaders = { 'X-Tenant': t.id };
    head.replaceChildren(
      h('p', { class: 'tenant-status' }, badge(t.status), ' ', t.name || '', t.plan ? ` · plan ${t.plan}` : '',
        ` · ${t.backend || '—'}`),
      actionsBar(ctx));
  }

  api.call('GET', `/v1/tenants/${enc(slug)}`).then((t) => {
    adopt(t);
    view = tabs(ctx, tab);
    body.replaceChildren(view.el);
    view.select(view.current(), false);
  }, (e) => body.replaceChildren(errorBox(e)));

  return h('div', { class: 'page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/tenants' }, '← All tenants')),
    title, head, msg, body);
}
