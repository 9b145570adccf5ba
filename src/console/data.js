// data.js — the data browser of a tenant's users. #/data lists the
// resources of the services the caller may use (GET /v1/services: the
// declarations, already cut to the caller's grants); #/data/{service}/
// {resource} shows that resource's rows in a table drawn from its
// declaration, with its declared filters and sorts, cursor paging ("Load
// more"), a create form generated from the fields, edit with the row's
// ETag sent as If-Match (a row changed meanwhile: 412, reload or retry),
// and delete. What a role may not do is not offered (the declaration's
// methods, access overrides and per-field `write` roles); the API decides.
import * as api from './api.js';
import {
  h, when, table, confirm, errorBox, field, showFieldErrors, statusLine, uid, isoFromLocal, shortId,
} from './ui.js';

const enc = encodeURIComponent;
const PAGE = 25;
const STAMP = { type: 'timestamp' }; // created_at, updated_at: filterable, not declared

async function declarations() {
  return (await api.call('GET', '/v1/services')).items;
}

// ---- #/data --------------------------------------------------------------------

export function dataPage() {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  declarations().then((items) => body.replaceChildren(...(items.length
    ? items.map((s) => h('section', { class: 'card' },
      h('h2', {}, s.name), s.description ? h('p', { class: 'muted' }, s.description) : null,
      h('ul', { class: 'resources' }, s.resources.map((r) => h('li', {},
        h('a', { href: `#/data/${s.name}/${r.name}` }, `${s.name}.${r.name}`),
        r.description ? h('span', { class: 'muted' }, ` — ${r.description}`) : null)))))
    : [h('p', { class: 'muted' }, 'You may use no service.')])), (e) => body.replaceChildren(errorBox(e)));
  return h('div', { class: 'page' }, h('h1', { tabindex: '-1' }, 'Data'), body);
}

// ---- values: the API's JSON ↔ the inputs ----------------------------------------

// A field's name as a label ("closed_at" → "closed at").
function words(name) {
  return name.replace(/_/g, ' ');
}

// A cell of the table.
function cell(f, v) {
  if (v === null || v === undefined) return h('span', { class: 'muted' }, '—');
  switch (f.type) {
    case 'timestamp': return when(v);
    case 'boolean': return v ? 'yes' : 'no';
    case 'json': return h('code', {}, JSON.stringify(v));
    case 'ref': return shortId(v);
    default: return String(v);
  }
}

function pad(n) {
  return String(n).padStart(2, '0');
}

// An ISO time as a datetime-local input's value (the browser's zone).
function localTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// The input's text for a value (what a change is compared with).
function shown(f, v) {
  if (v === null || v === undefined) return '';
  if (f.type === 'timestamp') return localTime(v);
  if (f.type === 'json') return JSON.stringify(v, null, 2);
  return String(v);
}

// The input for field f holding value v (an enum is a select; long text
// and JSON a textarea).
function input(f, v) {
  const a = { name: f.name, required: f.required && f.type !== 'boolean', autocomplete: 'off' };
  if (f.enum) {
    return h('select', a, f.required ? null : h('option', { value: '' }, '—'),
      f.enum.map((x) => h('option', { value: x, selected: x === v }, x)));
  }
  switch (f.type) {
    case 'boolean': return h('input', { ...a, type: 'checkbox', checked: v === true });
    case 'integer':
    case 'number':
      return h('input', { ...a, type: 'number', step: f.type === 'integer' ? 1 : 'any', min: f.min, max: f.max, value: shown(f, v) });
    case 'timestamp': return h('input', { ...a, type: 'datetime-local', value: shown(f, v) });
    case 'email': return h('input', { ...a, type: 'email', maxlength: f.max, value: shown(f, v) });
    case 'json': return h('textarea', { ...a, rows: 3 }, shown(f, v));
    default:
      return f.max > 500 ? h('textarea', { ...a, maxlength: f.max, rows: 3 }, shown(f, v))
        : h('input', { ...a, type: 'text', maxlength: f.max, value: shown(f, v) });
  }
}

// The JSON value of an input; '' is null (the caller leaves it out of a
// create). Bad JSON is refused here, beside its field.
function read(f, el) {
  if (f.type === 'boolean') return el.checked;
  const s = el.value;
  if (s.trim() === '') return null;
  if (f.type === 'integer' || f.type === 'number') return Number(s);
  if (f.type === 'timestamp') return isoFromLocal(s);
  if (f.type === 'json') {
    try {
      return JSON.parse(s);
    } catch {
      throw new api.ApiError(400, { detail: `${f.name} is not valid JSON`, errors: [{ field: f.name, message: 'not valid JSON' }] });
    }
  }
  return s;
}

function changed(f, el, row) {
  if (f.type === 'boolean') return el.checked !== (row[f.name] === true);
  return el.value !== shown(f, row[f.name]);
}

function hint(f) {
  const parts = [];
  if (f.type === 'ref') parts.push(`id of a ${f.ref} row`);
  if (f.type === 'json') parts.push('JSON');
  if (f.type === 'integer' && f.name === 'amount') parts.push('minor units (cents)');
  if (f.default !== undefined && f.type !== 'boolean' && !f.enum) parts.push(`default ${JSON.stringify(f.default)}`);
  return parts.join('; ') || null;
}

// ---- the filter: inputs → the API's filter language ---------------------------

function quote(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

// [operator, label suffix] per type: text is searched, a time is a lower
// bound, everything else compared whole.
function filterOp(f) {
  if (f.enum || f.type === 'boolean' || f.type === 'ref') return ['eq', ''];
  if (f.type === 'timestamp') return ['ge', ' from'];
  if (f.type === 'integer' || f.type === 'number') return ['eq', ' equals'];
  return ['contains', ' contains'];
}

function filterInput(f) {
  const a = { name: f.name };
  if (f.enum || f.type === 'boolean') {
    const opts = f.type === 'boolean' ? ['true', 'false'] : f.enum;
    return h('select', a, h('option', { value: '' }, 'any'), opts.map((x) => h('option', { value: x }, x)));
  }
  if (f.type === 'timestamp') return h('input', { ...a, type: 'datetime-local' });
  if (f.type === 'integer' || f.type === 'number') return h('input', { ...a, type: 'number', step: 'any' });
  return h('input', { ...a, type: 'search' });
}

function filterTerm(f, el) {
  const v = el.value.trim();
  if (!v) return null;
  const [op] = filterOp(f);
  if (f.type === 'timestamp') return `${f.name} ${op} ${quote(isoFromLocal(v))}`;
  if (f.type === 'boolean' || f.type === 'integer' || f.type === 'number') return `${f.name} ${op} ${v}`;
  return `${f.name} ${op} ${quote(v)}`;
}

// ---- #/data/{service}/{resource} ----------------------------------------------

export function resourcePage(service, resource) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  declarations().then((items) => {
    const svc = items.find((s) => s.name === service);
    const decl = svc && svc.resources.find((r) => r.name === resource);
    if (!decl) throw new Error(`There is no resource ${service}.${resource} you may use.`);
    body.replaceChildren(browser(service, decl, svc));
  }).catch((e) => body.replaceChildren(errorBox(e)));
  return h('div', { class: 'page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/data' }, '← All data')),
    h('h1', { tabindex: '-1' }, `${service}.${resource}`), body);
}

// What the caller's role may do with the resource: its methods, less what
// an access override takes away.
function allowed(decl, role) {
  const over = (decl.access && decl.access[role]) || {};
  const may = (m, a) => decl.methods.includes(m) && over[a] !== 'none';
  return { create: may('create', 'create'), update: may('update', 'update'), remove: may('delete', 'delete') };
}

// The field that names a row (its first required text field), or null.
function nameField(decl) {
  return decl.fields.find((f) => f.type === 'text' && f.required) || null;
}

// Suggestions for the ref fields among `fields`: a <datalist> per field
// of the first 100 rows it may point to, by name (typing an id works as
// well). Returns {lists: Node to put in the page, ids: field → list id}.
function refLists(service, svc, fields) {
  const ids = {};
  const lists = h('div');
  for (const fd of fields.filter((x) => x.type === 'ref')) {
    const target = svc.resources.find((r) => r.name === fd.ref);
    if (!target || !target.methods.includes('list')) continue;
    const named = nameField(target);
    ids[fd.name] = uid('ref');
    const dl = h('datalist', { id: ids[fd.name] });
    lists.append(dl);
    api.call('GET', `/v1/${service}/${fd.ref}`, { params: { limit: 100, fields: named ? `id,${named.name}` : 'id' } })
      .then((r) => dl.replaceChildren(...r.items.map((x) => h('option', { value: x.id }, named ? String(x[named.name] || x.id) : x.id))),
        () => {}); // nothing to suggest: the id is typed
  }
  return { lists, ids };
}

function browser(service, decl, svc) {
  const path = `/v1/${service}/${decl.name}`;
  const me = api.current().user;
  const can = allowed(decl, me.role);
  const writable = decl.fields.filter((f) => !f.read_only && (!f.write || f.write.includes(me.role)));
  const named = nameField(decl);
  const refs = refLists(service, svc, writable);
  const inputFor = (fd, v) => {
    const el = input(fd, v);
    if (refs.ids[fd.name]) el.setAttribute('list', refs.ids[fd.name]);
    return el;
  };
  const label = (row) => (named && row[named.name]) || row.id;
  const say = statusLine();
  const failure = h('div', { 'aria-live': 'assertive' });
  const editor = h('div');
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  let rows = [];
  let cursor = null;
  let query = {};

  const rowsTitle = h('h2', { tabindex: '-1' }, 'Rows');
  // The editor closed without saving: the focus goes back to the rows.
  function close() {
    editor.replaceChildren();
    rowsTitle.focus();
  }

  function columns() {
    const cols = decl.fields.map((f) => ({ label: words(f.name), cell: (r) => cell(f, r[f.name]) }));
    if (decl.owner) cols.push({ label: 'owner', cell: (r) => (r[decl.owner] === me.id ? 'you' : cell({ type: 'ref' }, r[decl.owner])) });
    cols.push({ label: 'created', cell: (r) => when(r.created_at) });
    if (can.update || can.remove) {
      cols.push({ label: 'Actions', cell: (r) => h('div', { class: 'row-actions' },
        can.update ? h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${label(r)}`, onclick: () => edit(r) }, 'Edit') : null,
        can.remove ? h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${label(r)}`, onclick: () => remove(r) }, 'Delete…') : null) });
    }
    return cols;
  }

  function draw() {
    list.replaceChildren(h('div', { class: 'data-rows' }, table(`${service}.${decl.name}`, columns(), rows, 'No rows.')));
    more.hidden = !cursor;
    count.textContent = `${rows.length} row${rows.length === 1 ? '' : 's'}${cursor ? ' so far' : ''}.`;
  }

  // Rows are kept here, not in ui.js's pagedList: a row created, saved or
  // deleted changes the rows shown without loading them again. An answer
  // to an older filter is dropped (gen), as pagedList does.
  let gen = 0;
  async function load(reset) {
    failure.replaceChildren();
    const g = reset ? ++gen : gen;
    try {
      const r = await api.call('GET', path, { params: { ...query, limit: PAGE, cursor: reset ? null : cursor } });
      if (g !== gen) return;
      // a row created here is shown first until its page comes
      const fresh = reset ? r.items : r.items.filter((x) => !rows.some((y) => y.id === x.id));
      rows = reset ? fresh : rows.concat(fresh);
      cursor = r.next_cursor;
      draw();
    } catch (e) {
      if (g !== gen) return;
      if (reset) list.replaceChildren();
      failure.replaceChildren(errorBox(e));
    }
  }
  more.addEventListener('click', () => load(false));

  function fail(e) {
    say.say(null);
    failure.replaceChildren(errorBox(e));
    failure.firstChild.setAttribute('tabindex', '-1');
    failure.firstChild.focus();
  }

  async function remove(r) {
    if (!(await confirm(`Delete ${label(r)}? This cannot be undone.`, 'Delete'))) return;
    failure.replaceChildren();
    try {
      await api.call('DELETE', `${path}/${enc(r.id)}`);
      rows = rows.filter((x) => x.id !== r.id);
      editor.replaceChildren();
      draw();
      say.say(`${label(r)} is deleted.`);
    } catch (e) {
      fail(e);
    }
  }

  async function edit(r) {
    failure.replaceChildren();
    try {
      const { data, etag } = await api.call('GET', `${path}/${enc(r.id)}`, { etag: true });
      openEditor(data, etag);
    } catch (e) {
      fail(e);
    }
  }

  // The editor of one row, as read with its ETag. Save sends the fields
  // that changed with If-Match; a 412 means someone changed the row since.
  function openEditor(row, etag) {
    const title = h('h2', { tabindex: '-1' }, `Edit ${label(row)}`);
    const conflict = h('div');
    const save = h('button', { type: 'submit' }, 'Save');
    const cancel = h('button', { type: 'button', class: 'secondary', onclick: close }, 'Cancel');
    const err = h('div', { 'aria-live': 'assertive' });
    const f = h('form', { class: 'stack', 'aria-label': `Edit ${label(row)}` },
      h('div', { class: 'form-grid' }, writable.map((fd) => field(words(fd.name), inputFor(fd, row[fd.name]), hint(fd)))),
      conflict, err, h('div', { class: 'actions' }, cancel, save));

    const patch = () => {
      const body = {};
      for (const fd of writable) {
        const el = f.elements.namedItem(fd.name);
        if (changed(fd, el, row)) body[fd.name] = read(fd, el);
      }
      return body;
    };
    async function send(body, tag) {
      const r = await api.call('PATCH', `${path}/${enc(row.id)}`, { body, headers: { 'If-Match': tag } });
      rows = rows.map((x) => (x.id === r.id ? r : x));
      editor.replaceChildren();
      draw();
      say.say(`${label(r)} is saved.`);
    }
    async function attempt(fn) {
      err.replaceChildren();
      showFieldErrors(f, null);
      save.disabled = true;
      try {
        await fn();
      } catch (e) {
        if (e.status === 412) showConflict();
        else {
          showFieldErrors(f, e);
          err.replaceChildren(errorBox(e));
        }
      } finally {
        save.disabled = false;
      }
    }
    // Someone saved the row after it was read: take theirs (the form is
    // filled again), or send these changes again over theirs.
    function showConflict() {
      const reload = h('button', { type: 'button', class: 'secondary' }, 'Reload the row');
      const retry = h('button', { type: 'button' }, 'Save my changes over theirs');
      reload.addEventListener('click', () => attempt(async () => {
        const n = await api.call('GET', `${path}/${enc(row.id)}`, { etag: true });
        openEditor(n.data, n.etag);
        say.say('Reloaded: the form shows the row as it is now.');
      }));
      retry.addEventListener('click', () => attempt(async () => {
        const body = patch();
        const n = await api.call('GET', `${path}/${enc(row.id)}`, { etag: true });
        await send(body, n.etag);
      }));
      const box = h('div', { class: 'error conflict', role: 'alert', tabindex: '-1' },
        h('p', {}, 'This row was changed by someone else since you opened it: your changes are not saved.'),
        h('div', { class: 'actions' }, reload, retry));
      say.say(null);
      conflict.replaceChildren(box);
      box.focus();
    }
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      conflict.replaceChildren();
      attempt(async () => {
        const body = patch();
        if (!Object.keys(body).length) {
          editor.replaceChildren();
          say.say('Nothing changed.');
          return;
        }
        await send(body, etag);
      });
    });
    say.say(null); // the last outcome is not this one's
    editor.replaceChildren(h('section', { class: 'card editor' }, title, f));
    title.focus();
  }

  function createForm() {
    const err = h('div', { 'aria-live': 'assertive' });
    const add = h('button', { type: 'submit' }, 'Create');
    const f = h('form', { class: 'stack', 'aria-label': `New ${decl.name} row` },
      h('div', { class: 'form-grid' }, writable.map((fd) => field(fd.required ? `${words(fd.name)} (required)` : words(fd.name),
        inputFor(fd, fd.default === undefined ? null : fd.default), hint(fd)))),
      err, h('div', { class: 'actions' }, add));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.replaceChildren();
      showFieldErrors(f, null);
      add.disabled = true;
      try {
        const body = {};
        for (const fd of writable) {
          const v = read(fd, f.elements.namedItem(fd.name));
          if (v !== null) body[fd.name] = v;
        }
        const r = await api.call('POST', path, { body });
        f.reset();
        rows = [r, ...rows];
        draw();
        say.say(`${label(r)} is created.`);
      } catch (e) {
        showFieldErrors(f, e);
        err.replaceChildren(errorBox(e));
      } finally {
        add.disabled = false;
      }
    });
    return h('section', { class: 'card' }, h('h2', {}, 'New row'), f);
  }

  function filters() {
    const known = (n) => decl.fields.find((f) => f.name === n) || { name: n, ...(/_at$/.test(n) ? STAMP : { type: 'text' }) };
    const fs = (decl.filter || []).map(known);
    const sort = decl.sort && decl.sort.length
      ? field('Sort', h('select', { name: 'sort' }, h('option', { value: '' }, 'oldest first'),
        decl.sort.flatMap((s) => [h('option', { value: s }, `${s} ↑`), h('option', { value: `-${s}` }, `${s} ↓`)])))
      : null;
    const f = h('form', { class: 'filters', 'aria-label': 'Filter the rows' },
      fs.map((fd) => field(`${words(fd.name)}${filterOp(fd)[1]}`, filterInput(fd))), sort,
      h('div', { class: 'row-actions' },
        h('button', { type: 'submit' }, 'Apply'),
        h('button', { type: 'reset', class: 'secondary' }, 'Clear')));
    const apply = () => {
      const terms = fs.map((fd) => filterTerm(fd, f.elements.namedItem(fd.name))).filter(Boolean);
      query = { filter: terms.join(' and '), sort: sort ? f.elements.sort.value : '' };
      load(true);
    };
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      apply();
    });
    f.addEventListener('reset', () => setTimeout(apply));
    return fs.length || sort ? h('section', { class: 'card' }, h('h2', {}, 'Filter'), f) : null;
  }

  load(true);
  return h('div', {},
    decl.description ? h('p', { class: 'muted' }, decl.description) : null,
    say, failure, refs.lists, filters(), editor,
    h('section', { class: 'card' }, rowsTitle, count, list, h('div', { class: 'actions' }, more)),
    can.create && writable.length ? createForm() : null);
}
