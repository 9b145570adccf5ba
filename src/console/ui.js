// ui.js — small DOM helpers. Data from the API only ever becomes text
// nodes and attribute values (never HTML), and nothing sets an inline
// style: the page's Content-Security-Policy forbids both kinds of inline
// code, and the console needs neither.

// h('button', {class: 'x', onclick: fn, disabled: true}, 'text', child…)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'for') el.htmlFor = v;
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// "2026-12-07 21:40" in the browser's time zone, or "—".
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function badge(status) {
  return h('span', { class: `badge badge-${String(status || 'none').replace(/[^a-z_]/g, '')}` }, status || '—');
}

// A failure shown where it happened: the API's problem detail, and the
// wait a lockout asks for.
export function errorText(err) {
  let t = err && err.message ? err.message : String(err);
  if (err && err.retryAfter) t += ` Try again in ${err.retryAfter} s.`;
  return t;
}

export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, errorText(err));
}

// A table: columns are [{label, cell: row => Node|string}]. On a narrow
// screen each row becomes a card (the labels come from data-label).
export function table(caption, columns, rows, empty = 'Nothing here yet.') {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('caption', { class: 'sr-only' }, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', { 'data-label': c.label }, c.cell(r))))))));
}

// A definition list of [label, value] pairs.
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// Asks before an action: a modal <dialog> (keyboard: Tab between the two
// buttons, Escape cancels). Resolves true when confirmed.
export function confirm(question, action) {
  return new Promise((resolve) => {
    const done = (yes) => {
      dlg.close();
      dlg.remove();
      resolve(yes);
    };
    const dlg = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-q' },
      h('p', { id: 'confirm-q' }, question),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => done(false) }, 'Cancel'),
        h('button', { type: 'button', class: 'danger', onclick: () => done(true) }, action)));
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

// A section whose body loads from the API: shows "Loading…", then what
// load() returns (a Node), or the error.
export function loading(title, load) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const sec = h('section', { class: 'card' }, title ? h('h2', {}, title) : null, body);
  load().then((n) => body.replaceChildren(n), (e) => body.replaceChildren(errorBox(e)));
  return sec;
}

// A list the API gives a page at a time, with "Load more" while it
// answers a next_cursor. fetchPage(cursor) → {items, next_cursor};
// draw(items) → the Node showing every item loaded. reload() starts
// again from the first page (after a filter changed): an answer to an
// older reload is dropped, so a slow page never overwrites a newer one.
export function pagedList(fetchPage, draw) {
  let items = [];
  let next = null;
  let gen = 0;
  const list = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => page(gen) }, 'Load more');
  async function page(g) {
    more.disabled = true;
    try {
      const r = await fetchPage(next);
      if (g !== gen) return;
      items = items.concat(r.items);
      next = r.next_cursor || null;
      list.replaceChildren(draw(items));
      more.hidden = !next;
    } catch (e) {
      if (g === gen) list.replaceChildren(errorBox(e));
    } finally {
      more.disabled = false;
    }
  }
  function reload() {
    gen++;
    items = [];
    next = null;
    more.hidden = true;
    list.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    return page(gen);
  }
  return { node: h('div', {}, list, h('div', { class: 'actions' }, more)), reload };
}

// A value shown with its unit: "12.3 ms", "4.1 MB"; "—" for none.
export function ms(v) {
  return typeof v === 'number' ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : '—';
}

export function bytes(v) {
  if (typeof v !== 'number') return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  for (; v >= 1000 && i < units.length - 1; i++) v /= 1000;
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

// An RFC 3339 time from a datetime-local input's value (the browser's
// time zone), or '' for an empty input.
export function isoFromLocal(v) {
  return v ? new Date(v).toISOString() : '';
}

// A UUID shown short: its last 8 digits (the first ones of a time-ordered
// id are alike for everything made the same hour), the whole on hover.
export function shortId(id) {
  return id ? h('code', { title: id }, `…${String(id).slice(-8)}`) : '—';
}

// ---- forms (people.js, data.js) ----------------------------------------------

let seq = 0;
// A form of filters: Enter or its submit button calls apply().
export function filterForm(apply, ...children) {
  return h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); apply(); } }, ...children);
}

// A fresh element id (a label's `for`): forms are built again on every page.
export function uid(prefix = 'f') {
  seq += 1;
  return `${prefix}-${seq}`;
}

// A labelled field. `input` carries the name the API uses, so a 400's
// errors[] finds it (showFieldErrors); the hint and that error are tied to
// the input with aria-describedby.
export function field(label, input, hint) {
  if (!input.id) input.id = uid();
  const err = h('p', { class: 'field-msg', id: `${input.id}-err`, hidden: true });
  const tip = hint ? h('p', { class: 'hint', id: `${input.id}-hint` }, hint) : null;
  input.setAttribute('aria-describedby', tip ? `${tip.id} ${err.id}` : err.id);
  return h('div', { class: 'field', 'data-field': input.name || '' }, h('label', { for: input.id }, label), input, tip, err);
}

// A group of checkboxes named `name`, one per choice; ticked: those checked.
export function checks(legend, name, choices, ticked = []) {
  return h('fieldset', { class: 'modes', 'data-field': name }, h('legend', {}, legend),
    choices.length ? choices.map((c) => h('label', { class: 'choice' },
      h('input', { type: 'checkbox', name, value: c, checked: ticked.includes(c) }), c))
      : h('span', { class: 'muted' }, 'none'),
    h('p', { class: 'field-msg', hidden: true }));
}

// The values ticked in a checks() group of form.
export function ticked(form, name) {
  return [...form.querySelectorAll(`input[type=checkbox][name="${name}"]`)].filter((c) => c.checked).map((c) => c.value);
}

// Shows a 400 validation_failed's errors[] beside the fields they name
// (and clears the last ones); a field the form does not have stays in the
// errorBox the caller shows.
export function showFieldErrors(form, err) {
  for (const el of form.querySelectorAll('.field-msg')) {
    el.hidden = true;
    el.textContent = '';
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const fe of (err && err.errors) || []) {
    const box = [...form.querySelectorAll('[data-field]')].find((f) => f.dataset.field === fe.field);
    if (!box) continue;
    const msg = box.querySelector('.field-msg');
    msg.textContent = fe.message || fe.code;
    msg.hidden = false;
    const input = box.querySelector('input, select, textarea');
    if (input) input.setAttribute('aria-invalid', 'true');
  }
}

// A status line that takes the focus when it speaks (the button pressed
// may be gone): say(text) shows it, say(null) hides it.
export function statusLine() {
  const el = h('p', { class: 'notice', role: 'status', tabindex: '-1', hidden: true });
  el.say = (text) => {
    el.textContent = text || '';
    el.hidden = !text;
    if (text) el.focus();
  };
  return el;
}
