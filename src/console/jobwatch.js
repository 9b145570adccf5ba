// jobwatch.js — follows a background job (tenant.provision, tenant.backup,
// tenant.restore, tenant.move…) by asking GET /v1/admin/jobs/{id} once a
// second until it has finished, and shows its progress in a live region.
import * as api from './api.js';
import { h, badge } from './ui.js';

const DONE = new Set(['succeeded', 'failed', 'cancelled']);
const enc = encodeURIComponent;

function progressText(j) {
  const p = j.progress || {};
  const parts = [`Job ${j.kind}: ${j.state}`];
  if (p.total) parts.push(`step ${p.done} of ${p.total}`);
  if (p.message) parts.push(p.message);
  if (j.error) parts.push(typeof j.error === 'string' ? j.error : JSON.stringify(j.error));
  return parts.join(' — ');
}

// A status line for a job: its state, a progress bar when the job knows
// its total, and the error of a failed one.
export function jobView() {
  const text = h('span', {}, '');
  const bar = h('progress', { hidden: true, 'aria-label': 'Job progress' });
  const el = h('div', { class: 'job', role: 'status', 'aria-live': 'polite' }, text, bar);
  el.show = (j) => {
    text.replaceChildren(badge(j.state), ' ', progressText(j), ' ',
      h('a', { href: `#/jobs/${enc(j.id)}` }, 'the job'));
    const p = j.progress || {};
    bar.hidden = !(p.total > 0) || DONE.has(j.state);
    if (p.total > 0) {
      bar.max = p.total;
      bar.value = p.done || 0;
    }
  };
  return el;
}

// Follows job j (as an answer gave it) and shows it in view (jobView()).
// Resolves with the finished job; stops quietly (resolving null) once the
// view has left the page, so a page left behind polls no more. A read
// that fails for a moment (429, 5xx, the network) is tried again the next
// second: the job runs on whatever the page sees.
export async function followJob(j, view) {
  let job = j;
  view.show(job);
  while (!DONE.has(job.state)) {
    await new Promise((ok) => setTimeout(ok, 1000));
    if (!view.isConnected) return null;
    try {
      job = await api.call('GET', `/v1/admin/jobs/${enc(job.id)}`);
    } catch (e) {
      if (e.status && e.status !== 429 && e.status < 500) throw e;
      continue;
    }
    view.show(job);
  }
  return job;
}
