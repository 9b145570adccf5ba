// account.js — #/account: an account owner's tenants, and a switch into
// one of them (the owner becomes that tenant's admin; "My tenants" in the
// header comes back).
import * as api from './api.js';
import { h, badge, errorBox, table, loading } from './ui.js';

export function accountPage() {
  const err = h('div', { 'aria-live': 'assertive' });
  async function go(t, button) {
    button.disabled = true;
    err.replaceChildren();
    try {
      await api.switchTo(t.id); // the router moves on (api.onChange)
    } catch (e) {
      err.replaceChildren(errorBox(e));
      button.disabled = false;
    }
  }
  return h('div', { class: 'page' },
    h('h1', { tabindex: '-1' }, 'My tenants'), err,
    loading(null, async () => {
      const r = await api.call('GET', '/v1/account/tenants');
      return table('Tenants of the account', [
        { label: 'Slug', cell: (t) => t.slug },
        { label: 'Name', cell: (t) => t.name || '—' },
        { label: 'Status', cell: (t) => badge(t.status) },
        { label: 'Plan', cell: (t) => t.plan || '—' },
        { label: 'Your role', cell: (t) => t.role || 'none' },
        { label: 'Open', cell: (t) => {
          const b = h('button', { type: 'button', 'aria-label': `Switch to ${t.slug}` }, 'Switch');
          b.disabled = t.role !== 'admin' || t.status !== 'active';
          b.addEventListener('click', () => go(t, b));
          return b;
        } },
      ], r.items, 'The account has no tenants yet.');
    }));
}
