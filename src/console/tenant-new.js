// tenant-new.js — #/tenants/new, the superadmin's create wizard: identity,
// services, plan, backend, first admin, review; then POST /v1/tenants?
// async=true and the tenant.provision job followed until it finishes, and
// on to the tenant's page. A refusal of the API is shown by the field it
// names (the step is opened again), or above the form.
import * as api from './api.js';
import { h, errorBox, errorText, facts } from './ui.js';
import { jobView, followJob } from './jobwatch.js';

const enc = encodeURIComponent;

// What the server offers: services (the summary lists every service it
// knows), plans, and whether a PostgreSQL server is registered.
async function offers() {
  const [svc, plans, fleet] = await Promise.all([
    api.call('GET', '/v1/admin/summary/services'),
    api.call('GET', '/v1/plans').catch(() => ({ items: [] })),
    api.call('GET', '/v1/admin/fleet/health', { params: { sample: 0 } }).catch(() => ({ checks: [] })),
  ]);
  return {
    services: svc.items.map((s) => s.service).filter((s) => s !== 'auth'),
    plans: plans.items,
    postgres: fleet.checks.some((c) => c.kind === 'server'),
  };
}

function input(id, label, v, key, attrs = {}, hint = null) {
  const el = h('input', { id, value: v[key], autocomplete: 'off', ...attrs, oninput: () => { v[key] = el.value; } });
  const err = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  return h('div', { class: 'field', 'data-field': key }, h('label', { for: id }, label),
    hint ? h('p', { class: 'muted hint', id: `${id}-hint` }, hint) : null, el, err);
}

function radios(legend, name, options, v, key) {
  return h('fieldset', { class: 'modes', 'data-field': key }, h('legend', {}, legend),
    options.map(([value, label, disabled]) => {
      const id = `${name}-${value || 'default'}`;
      return h('label', { class: 'choice', for: id },
        h('input', { type: 'radio', id, name, value, checked: v[key] === value, disabled,
          onchange: () => { v[key] = value; } }), label);
    }),
    h('p', { class: 'field-error', id: `${name}-error`, hidden: true }));
}

function price(p) {
  return p.price_amount ? `${(p.price_amount / 100).toFixed(2)} ${p.currency}/${p.period}` : 'free of charge';
}

// The steps: [title, draw(v, offers) → Node]. Field keys match the body.
const STEPS = [
  ['Identity', (v) => h('div', { class: 'stack' },
    input('new-slug', 'Slug', v, 'slug', { required: true, pattern: '[a-z][a-z0-9\\-]{1,62}', 'aria-describedby': 'new-slug-hint' },
      'Lowercase letters, digits and dashes; it names the tenant in URLs and cannot change.'),
    input('new-name', 'Name', v, 'name'))],
  ['Services', (v, o) => h('fieldset', { class: 'modes', 'data-field': 'services' },
    h('legend', {}, 'Services (auth is always on)'),
    o.services.map((s) => h('label', { class: 'choice', for: `svc-${s}` },
      h('input', { type: 'checkbox', id: `svc-${s}`, checked: v.services.has(s),
        onchange: (e) => (e.target.checked ? v.services.add(s) : v.services.delete(s)) }), s)),
    h('p', { class: 'field-error', id: 'services-error', hidden: true }))],
  ['Plan', (v, o) => (o.plans.length
    ? radios('Plan', 'plan', o.plans.map((p) => [p.code, `${p.name || p.code} (${price(p)})`]), v, 'plan')
    : input('new-plan', 'Plan', v, 'plan'))],
  ['Backend', (v, o) => radios('Where its data lives', 'backend', [
    ['', 'The server’s default'], ['sqlite', 'SQLite on this node'],
    ['postgres', o.postgres ? 'PostgreSQL (a registered server)' : 'PostgreSQL (no server registered)', !o.postgres],
  ], v, 'backend')],
  ['First admin', (v) => h('div', { class: 'stack' },
    h('p', { class: 'muted' }, 'Leave both empty to add the first admin later.'),
    input('new-email', 'Admin email', v, 'email', { type: 'email' }),
    input('new-password', 'Admin password', v, 'password', { type: 'password', autocomplete: 'new-password' }))],
  ['Review', (v, o) => h('div', {}, facts([
    ['Slug', v.slug], ['Name', v.name || v.slug], ['Services', ['auth', ...v.services].join(', ')],
    ['Plan', v.plan || 'free'], ['Backend', v.backend || 'the server’s default'],
    ['First admin', v.email || 'none'],
  ]), outsidePlan(v, o))],
];

// A warning when the plan names its services and some chosen are not
// among them (the API would refuse: 403 service_not_in_plan).
function outsidePlan(v, o) {
  const plan = o.plans.find((p) => p.code === v.plan);
  const out = plan && plan.services ? [...v.services].filter((s) => !plan.services.includes(s)) : [];
  return out.length ? h('p', { class: 'error' }, `The plan ${plan.code} does not include ${out.join(', ')}.`) : null;
}

// Which step and field a refusal is about, from its code and detail.
const BLAME = [
  [/slug/i, 0, 'slug'], [/name/i, 0, 'name'], [/service/i, 1, 'services'], [/plan/i, 2, 'plan'],
  [/backend|postgres|server|database/i, 3, 'backend'], [/admin|email|password/i, 4, 'email'],
];

function body(v) {
  const b = { slug: v.slug.trim(), services: [...v.services] };
  if (v.name.trim()) b.name = v.name.trim();
  if (v.plan) b.plan = v.plan;
  if (v.backend) b.backend = v.backend;
  if (v.email || v.password) b.admin = { email: v.email.trim(), password: v.password };
  return b;
}

export function newTenantPage() {
  const v = { slug: '', name: '', services: new Set(), plan: 'free', backend: '', email: '', password: '' };
  let step = 0;
  let o = null;
  let blamed = null; // [field key, message] to show once the step is drawn
  const steps = h('ol', { class: 'create-steps' });
  const title = h('h2', { tabindex: '-1', id: 'step-title' });
  const content = h('div', {});
  const top = h('div', {});
  const back = h('button', { type: 'button', class: 'secondary', onclick: () => go(step - 1) }, 'Back');
  const next = h('button', { type: 'submit' }, 'Next');
  const form = h('form', { class: 'card stack', novalidate: true, 'aria-labelledby': 'step-title', onsubmit: (e) => {
    e.preventDefault();
    if (step < STEPS.length - 1) go(step + 1);
    else create();
  } }, top, title, content, h('div', { class: 'actions' }, back, next));
  const outcome = h('div', {});

  function go(n, focusField = false, focus = true) {
    if (n === 1 && !v.slug.trim()) {
      blamed = ['slug', 'A slug is required.'];
      n = 0;
      focusField = true;
    }
    step = Math.max(0, Math.min(n, STEPS.length - 1));
    steps.replaceChildren(...STEPS.map(([t], i) => h('li', { 'aria-current': i === step ? 'step' : null,
      class: i < step ? 'done' : null }, t)));
    title.textContent = `Step ${step + 1} of ${STEPS.length}: ${STEPS[step][0]}`;
    content.replaceChildren(STEPS[step][1](v, o));
    back.disabled = step === 0;
    next.textContent = step === STEPS.length - 1 ? 'Create tenant' : 'Next';
    if (blamed) showBlame(focusField);
    else if (focus) title.focus();
  }

  function showBlame(focusField) {
    const [key, msg] = blamed;
    blamed = null;
    const box = content.querySelector(`[data-field="${key}"]`);
    const err = box && box.querySelector('.field-error');
    const ctl = box && box.querySelector('input');
    if (!err) {
      top.replaceChildren(errorBox({ message: msg }));
      title.focus();
      return;
    }
    err.textContent = msg;
    err.hidden = false;
    err.setAttribute('role', 'alert');
    if (ctl) {
      ctl.setAttribute('aria-invalid', 'true');
      const by = (ctl.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== err.id);
      ctl.setAttribute('aria-describedby', [...by, err.id].join(' '));
      if (focusField) ctl.focus();
    }
  }

  async function create() {
    next.disabled = true;
    back.disabled = true;
    top.replaceChildren();
    try {
      const r = await api.call('POST', '/v1/tenants', { body: body(v), params: { async: 'true' } });
      await provisioned(r);
    } catch (e) {
      next.disabled = false;
      back.disabled = false;
      const hit = e.status === 400 || e.status === 403 || e.status === 409 ? BLAME.find(([re]) => re.test(`${e.code} ${e.message}`)) : null;
      if (!hit) {
        top.replaceChildren(errorBox(e));
        title.focus();
        return;
      }
      blamed = [hit[2], errorText(e)];
      go(hit[1], true);
    }
  }

  // The tenant is recorded; its job makes the databases and the admin.
  async function provisioned(r) {
    const slug = r.tenant.slug;
    const view = jobView();
    form.hidden = true;
    outcome.replaceChildren(h('section', { class: 'card' },
      h('h2', { tabindex: '-1', id: 'provision-title' }, `Creating ${slug}…`), view));
    outcome.querySelector('h2').focus();
    let j;
    try {
      j = await followJob(r.job, view);
    } catch (e) {
      outcome.firstChild.append(errorBox(e));
      return;
    }
    if (!j) return;
    if (j.state === 'succeeded') {
      location.hash = `#/tenants/${enc(slug)}`;
      return;
    }
    outcome.firstChild.append(h('p', {}, 'The tenant was recorded but not finished: ',
      h('a', { href: `#/tenants/${enc(slug)}` }, `open ${slug}`), ' to retry or delete it.'));
  }

  offers().then((x) => {
    o = x;
    go(0, false, false); // the page's heading keeps the focus
  }, (e) => content.replaceChildren(errorBox(e)));
  content.append(h('p', { class: 'muted' }, 'Loading…'));

  return h('div', { class: 'page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/tenants' }, '← All tenants')),
    h('h1', { tabindex: '-1' }, 'New tenant'),
    h('nav', { 'aria-label': 'Wizard steps' }, steps), form, outcome);
}
