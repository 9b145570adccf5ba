// onboarding.js — #/onboarding: a tenant admin's set-up wizard, the five
// steps of GET /v1/onboarding (docs/api.md "Onboarding"): store, database,
// payments, credits, profile. The state is the server's, read on every
// visit: the wizard opens at the document's `next` step, so a reload
// resumes where the admin stopped, and each step's answer (the new
// document) moves it on. Skippable steps say so and have a Skip button;
// any step can be opened again from the list. A database move (202 and a
// job) is followed by reading the document again until it ends.
import * as api from './api.js';
import { h, badge, errorBox, facts, field } from './ui.js';

const TITLES = { store: 'Store', database: 'Database', payments: 'Payments', credits: 'Credits', profile: 'Profile' };
const POLL_MS = 1500; // how often a running database move is looked at
const TEST_CARD = '4242424242424242';

const finished = (s) => s.status === 'done' || s.status === 'skipped';

// An Idempotency-Key for one credits request (crypto.randomUUID needs a
// secure context; getRandomValues does not).
function idempotencyKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return `console-${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

export function onboardingPage() {
  const h1 = h('h1', { tabindex: '-1' }, 'Set-up');
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const root = h('div', { class: 'page' }, h1, body);
  const w = { root, h1, body, doc: null, at: null, polling: false };
  api.call('GET', '/v1/onboarding').then(
    (doc) => move(w, doc, false),
    (e) => body.replaceChildren(errorBox(e)));
  return root;
}

// A new document: the wizard goes to its next step (or to "complete")
// and draws itself; focus: move the focus to the new step's heading.
function move(w, doc, focus) {
  w.doc = doc;
  w.at = doc.next || null;
  draw(w, focus);
}

function draw(w, focus) {
  const { doc } = w;
  const done = doc.steps.filter(finished).length;
  const step = doc.steps.find((s) => s.step === w.at);
  w.h1.textContent = `Set up ${doc.tenant.name || doc.tenant.slug}`;
  w.body.replaceChildren(
    h('p', { id: 'wizard-status' },
      step ? `Step ${step.n} of ${doc.steps.length}: ${TITLES[step.step]}` : 'Set-up is complete',
      ` · ${done} of ${doc.steps.length} done`),
    h('progress', { max: doc.steps.length, value: done, 'aria-labelledby': 'wizard-status' }),
    stepList(w),
    step ? panel(w, step) : complete());
  if (step && step.step === 'database' && step.status === 'in_progress') poll(w);
  if (focus) w.body.querySelector('h2').focus();
}

function stepList(w) {
  return h('nav', { 'aria-label': 'Set-up steps' },
    h('ol', { class: 'steps wizard-steps' }, w.doc.steps.map((s) => {
      const open = h('button', { type: 'button', class: 'link', 'aria-current': s.step === w.at ? 'step' : null },
        TITLES[s.step]);
      open.addEventListener('click', () => {
        w.at = s.step;
        draw(w, true);
      });
      return h('li', {}, open, ' ', badge(s.status), s.skippable ? h('span', { class: 'muted' }, ' (optional)') : null);
    })));
}

function complete() {
  return h('section', { class: 'card' },
    h('h2', { tabindex: '-1' }, 'Set-up is complete'),
    h('p', {}, 'Every step is done or skipped. Any step can be opened again from the list above.'),
    h('p', {}, h('a', { href: '#/tenant' }, 'Go to my tenant')));
}

// One step's card: heading, what it is, its form, its outcome.
function panel(w, s) {
  const out = h('div', { 'aria-live': 'polite' });
  const card = h('section', { class: 'card', 'aria-labelledby': 'step-title' },
    h('h2', { tabindex: '-1', id: 'step-title' }, `${s.n}. ${TITLES[s.step]}`),
    s.skippable ? h('p', { class: 'muted' }, 'Optional: you may skip this step.') : null);
  // act(fn, buttons): runs fn (→ the new document), the buttons disabled
  // meanwhile; its refusal is shown in the card.
  const act = async (fn, form) => {
    const buttons = form.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    out.replaceChildren();
    try {
      move(w, await fn(), true);
    } catch (e) {
      out.replaceChildren(errorBox(e));
      buttons.forEach((b) => { b.disabled = false; });
    }
  };
  card.append(...STEPS[s.step](s, act, w), out);
  return card;
}

// The buttons under a step's form: save, and skip for skippable steps.
function buttons(s, save, act) {
  const skip = s.skippable
    ? h('button', { type: 'button', class: 'secondary' }, 'Skip this step')
    : null;
  if (skip) skip.addEventListener('click', () =>
    act(() => api.call('POST', `/v1/onboarding/${s.step}/skip`), skip.closest('form')));
  return h('div', { class: 'actions' }, skip, h('button', { type: 'submit' }, save));
}

// A form whose submit runs send(values) → the new document.
function stepForm(s, act, save, fields, send) {
  const form = h('form', { class: 'stack step-form' }, fields, buttons(s, save, act));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    act(send, form);
  });
  return form;
}

const text = (id, attrs = {}) => h('input', { id, name: id, ...attrs });

function storeStep(s, act) {
  const name = text('store-name', { required: true, maxlength: 200, value: s.store.name, autocomplete: 'organization' });
  return [
    h('p', {}, 'Your store was made at sign-up. Its name can change; its slug cannot.'),
    facts([['Slug', s.store.slug]]),
    stepForm(s, act, 'Save and continue', [field('Store name', name)],
      () => api.call('PUT', '/v1/onboarding/store', { body: { name: name.value.trim() } })),
  ];
}

function databaseStep(s, act) {
  const d = s.database || {};
  const where = d.kind === 'postgres' ? 'your own PostgreSQL database' : `embedded (${d.backend || 'the platform\'s'})`;
  const shown = [h('p', {}, 'Where the tenant\'s data lives: ', h('strong', {}, where), '.')];
  if (s.status === 'in_progress')
    return [...shown, h('p', { class: 'notice', role: 'status' },
      `Moving your data to your PostgreSQL database… ${s.message || ''}`.trim())];
  if (s.status === 'failed')
    shown.push(h('p', { class: 'error', role: 'alert' },
      `The move failed: ${(s.error && s.error.detail) || 'unknown reason'}. Your data stayed where it was; choose again.`));
  if (s.status === 'done' && d.kind === 'postgres')
    return [...shown, h('p', { class: 'muted' }, 'Moving it again is for the operator (tenantd tenant move).')];

  const radio = (value, label, attrs) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'db-kind', value, ...attrs }), label);
  const url = text('db-url', { type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none',
    placeholder: 'postgres://user:password@host:5432/db' });
  const urlRow = field('PostgreSQL URL', url,
    'One host by name or address, a user, a password, the database and at most ?sslmode=. It is checked by connecting (up to 10 s), sealed, and your data is moved there while the store keeps serving.');
  urlRow.hidden = true;
  const choose = (e) => {
    urlRow.hidden = e.target.value !== 'postgres';
    url.required = !urlRow.hidden;
  };
  const kinds = h('fieldset', { class: 'modes', onchange: choose },
    h('legend', {}, 'Database'),
    radio('embedded', `Embedded: the platform's own (${d.backend || 'sqlite'})`, { checked: true }),
    radio('postgres', 'My own PostgreSQL database', { disabled: !d.bring_allowed }));
  const note = d.bring_allowed ? null
    : h('p', { class: 'muted' }, 'Bringing your own PostgreSQL database is not available here: the operator has not turned it on.');
  const form = stepForm(s, act, 'Save and continue', [kinds, note, urlRow], async () => {
    const kind = new FormData(form).get('db-kind');
    const r = await api.call('PUT', '/v1/onboarding/database',
      { body: kind === 'postgres' ? { kind, url: url.value.trim() } : { kind } });
    return r.onboarding || r; // 202: {job, onboarding}
  });
  return [...shown, form];
}

function paymentsStep(s, act) {
  const p = s.payments;
  const shown = p ? [
    h('p', {}, 'Your keys are stored. The secret ones are sealed and never shown again: send new ones to replace them.'),
    facts([['Provider', p.provider], ['Public key', p.public_key || '—'], ['Secret key', p.secret_key_hint],
      ['Webhook secret', p.webhook_secret ? 'set' : 'not set']]),
  ] : [h('p', {}, 'Your own payment provider\'s keys, for your store\'s commerce. The secret ones are sealed with your tenant\'s key.')];
  const provider = text('pay-provider', { required: true, pattern: '[a-z0-9_\\-]{1,40}', value: (p && p.provider) || '', autocomplete: 'off' });
  const secret = text('pay-secret', { type: 'password', required: true, minlength: 8, maxlength: 256, autocomplete: 'off' });
  const pub = text('pay-public', { maxlength: 256, autocomplete: 'off' });
  const hook = text('pay-webhook', { type: 'password', minlength: 16, maxlength: 256, autocomplete: 'off' });
  const body = () => {
    const b = { provider: provider.value.trim(), secret_key: secret.value };
    if (pub.value.trim()) b.public_key = pub.value.trim();
    if (hook.value) b.webhook_secret = hook.value;
    return b;
  };
  return [...shown, stepForm(s, act, 'Save and continue', [
    field('Provider', provider, '1 to 40 of a-z, 0-9, - and _ (for example stripe).'),
    field('Secret key', secret, '8 to 256 characters; afterwards only its last 4 are shown.'),
    field('Public key (optional)', pub),
    field('Webhook secret (optional)', hook, '16 to 256 characters.'),
  ], () => api.call('PUT', '/v1/onboarding/payments', { body: body() }))];
}

// Buying credits: a checkout with the test provider, paid at once with a
// test card; then the document again (the step is done by a paid checkout).
async function buyCredits(credits, card) {
  const c = await api.call('POST', '/v1/credits/purchase',
    { body: { credits, provider: 'test' }, headers: { 'Idempotency-Key': idempotencyKey() } });
  await api.call('POST', `/v1/credits/checkouts/${encodeURIComponent(c.id)}/complete`,
    { body: { card }, headers: { 'Idempotency-Key': idempotencyKey() } });
  return api.call('GET', '/v1/onboarding');
}

function creditsStep(s, act) {
  const balance = s.credits ? s.credits.balance : 0;
  const amount = text('credit-amount', { type: 'number', required: true, min: 1, step: 1, value: 100, inputmode: 'numeric' });
  const card = text('credit-card', { required: true, inputmode: 'numeric', autocomplete: 'off', pattern: '[0-9]{12,19}', value: TEST_CARD });
  return [
    facts([['Balance', `${balance} credits`]]),
    h('p', { class: 'notice' }, h('strong', {}, 'Test provider: '),
      'no money changes hands. Pay with the test card 4242 4242 4242 4242 (4000 0000 0000 0002 is declined).'),
    stepForm(s, act, 'Buy with the test card', [
      field('Credits to buy', amount),
      field('Test card number', card),
    ], () => buyCredits(Number(amount.value), card.value.replace(/\s+/g, ''))),
  ];
}

function profileStep(s, act) {
  const p = s.profile || {};
  const company = text('profile-company', { required: true, maxlength: 200, value: p.company || '', autocomplete: 'organization' });
  const phone = text('profile-phone', { type: 'tel', required: true, pattern: '[0-9 +\\(\\)\\-]{5,32}', value: p.phone || '', autocomplete: 'tel' });
  return [
    h('p', {}, 'Who runs the store.'),
    stepForm(s, act, 'Save and continue', [
      field('Company', company, '1 to 200 characters.'),
      field('Phone', phone, '5 to 32 digits, spaces, +, -, ( and ).'),
    ], () => api.call('PUT', '/v1/onboarding/profile',
      { body: { company: company.value.trim(), phone: phone.value.trim() } })),
  ];
}

const STEPS = { store: storeStep, database: databaseStep, payments: paymentsStep, credits: creditsStep, profile: profileStep };

// While the database moves: the document again every POLL_MS until the
// step is no longer in progress (done: the wizard moves on; failed: the
// step shows why). Stops when the page is left.
function poll(w) {
  if (w.polling) return;
  w.polling = true;
  const tick = async () => {
    if (!w.root.isConnected) {
      w.polling = false;
      return;
    }
    try {
      const doc = await api.call('GET', '/v1/onboarding');
      const db = doc.steps.find((s) => s.step === 'database');
      const same = JSON.stringify(db) === JSON.stringify(w.doc.steps.find((s) => s.step === 'database'));
      w.doc = doc;
      if (db.status !== 'in_progress') {
        w.polling = false;
        // done: on to the next step; failed: the step says why. An admin
        // who opened another step meanwhile keeps it (and what it typed).
        if (w.at !== 'database') return;
        if (db.status !== 'failed') w.at = doc.next || null;
        draw(w, true);
        return;
      }
      if (w.at === 'database' && !same) draw(w, false); // a new message (redrawn only then: the focus stays)
    } catch {
      // a missed look: the next one tells
    }
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
}
