// chart.js — the console's charts, drawn as SVG from numbers: a line chart
// of values over time (one or more series) and a horizontal bar chart of
// labelled values. No library and no inline style: shapes carry classes
// (style.css colours them) and the SVG scales to its container through its
// viewBox. Each chart is an image with an accessible name, and every point
// or bar has a <title> with its exact value (a tooltip, and read aloud).

const NS = 'http://www.w3.org/2000/svg';
const W = 640; // viewBox width; the height comes from opts.height
const PAD = { left: 56, right: 16, top: 12, bottom: 28 };

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {}))
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat())
    if (c !== undefined && c !== null && c !== false)
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// 1234567 → "1.2M"; small values keep up to two decimals.
export function short(v) {
  const a = Math.abs(v);
  for (const [n, x] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']])
    if (a >= n) return `${+(v / n).toFixed(a >= 10 * n ? 0 : 1)}${x}`;
  return String(+v.toFixed(2));
}

// A round step that puts about `count` ticks between 0 and max.
function step(max, count) {
  if (max <= 0) return 1;
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

const p2 = (n) => String(n).padStart(2, '0');

// A time axis label: the hour within two days, else the day.
function timeLabel(ms, span) {
  const d = new Date(ms);
  if (span <= 2 * 86400e3) return `${p2(d.getHours())}:${p2(d.getMinutes())}`;
  return `${d.getFullYear() === new Date().getFullYear() ? '' : `${d.getFullYear()}-`}${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
}

function fullTime(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}`;
}

function frame(label, height, ...children) {
  return s('svg', { class: 'chart', viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': label },
    s('title', {}, label), ...children);
}

function emptyChart(label, height) {
  return frame(label, height,
    s('text', { class: 'chart-empty', x: W / 2, y: height / 2, 'text-anchor': 'middle' }, 'No data in this range.'));
}

// The value axis: gridlines and labels from 0 to the top tick.
function valueAxis(top, tick, y, x0, x1, unit) {
  const out = [];
  for (let v = 0; v <= top + tick / 2; v += tick) {
    const yy = y(v);
    out.push(s('line', { class: 'chart-grid', x1: x0, x2: x1, y1: yy, y2: yy }),
      s('text', { class: 'chart-tick', x: x0 - 6, y: yy + 4, 'text-anchor': 'end' }, `${short(v)}${unit}`));
  }
  return out;
}

// lineChart(points, {label, height, unit, series}) → <svg>. points:
// [{t: Date|ISO string, v}] for one series; opts.series [{label, points}]
// for several (then points is ignored). Values below zero are drawn at 0.
export function lineChart(points, opts = {}) {
  const label = opts.label || 'Chart';
  const height = opts.height || 200;
  const unit = opts.unit ? ` ${opts.unit}` : '';
  const series = (opts.series || [{ label: opts.seriesLabel || label, points }])
    .map((x) => ({ label: x.label, points: (x.points || [])
      .map((p) => ({ t: new Date(p.t).getTime(), v: Math.max(0, Number(p.v) || 0) }))
      .filter((p) => !Number.isNaN(p.t))
      .sort((a, b) => a.t - b.t) }));
  const all = series.flatMap((x) => x.points);
  if (!all.length) return emptyChart(label, height);

  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t));
  const span = t1 - t0 || 1;
  const tick = step(Math.max(...all.map((p) => p.v)), 4);
  const top = Math.max(tick, Math.ceil(Math.max(...all.map((p) => p.v)) / tick) * tick);
  const x0 = PAD.left;
  const x1 = W - PAD.right;
  const yb = height - PAD.bottom;
  const x = (t) => (t1 === t0 ? (x0 + x1) / 2 : x0 + ((t - t0) / span) * (x1 - x0));
  const y = (v) => yb - (v / top) * (yb - PAD.top);

  const ticks = [];
  const n = Math.min(5, new Set(all.map((p) => p.t)).size);
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? t0 : t0 + (span * i) / (n - 1);
    ticks.push(s('text', { class: 'chart-tick', x: x(t), y: height - 8, 'text-anchor': i === 0 && n > 1 ? 'start' : i === n - 1 && n > 1 ? 'end' : 'middle' },
      timeLabel(t, span)));
  }

  const lines = series.map((ser, i) => s('g', { class: `chart-series chart-series-${i % 6}` },
    ser.points.length > 1 ? s('polyline', { points: ser.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ') }) : null,
    ser.points.map((p) => s('circle', { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 3 },
      s('title', {}, `${series.length > 1 ? `${ser.label}: ` : ''}${p.v}${unit} at ${fullTime(p.t)}`)))));

  const legend = series.length > 1
    ? s('g', { class: 'chart-legend' }, series.map((ser, i) => s('g', { class: `chart-series chart-series-${i % 6}` },
      s('rect', { x: x0 + i * 120, y: 0, width: 10, height: 10 }),
      s('text', { class: 'chart-tick', x: x0 + i * 120 + 14, y: 9 }, ser.label))))
    : null;

  return frame(label, height + (legend ? 14 : 0),
    s('g', { transform: legend ? 'translate(0,14)' : null },
      valueAxis(top, tick, y, x0, x1, unit),
      s('line', { class: 'chart-axis', x1: x0, x2: x1, y1: yb, y2: yb }),
      ticks, lines),
    legend);
}

// barChart(items, {label, unit}) → <svg>: one horizontal bar per
// {label, v}, the label on the left and the value at the bar's end.
export function barChart(items, opts = {}) {
  const label = opts.label || 'Chart';
  const unit = opts.unit ? ` ${opts.unit}` : '';
  const rows = (items || []).map((it) => ({ label: String(it.label), v: Math.max(0, Number(it.v) || 0) }));
  const bar = 22;
  const height = PAD.top + rows.length * (bar + 8) + 8;
  if (!rows.length) return emptyChart(label, 80);
  const x0 = 140;
  const x1 = W - 70;
  const max = Math.max(...rows.map((r) => r.v)) || 1;
  return frame(label, height, rows.map((r, i) => {
    const yy = PAD.top + i * (bar + 8);
    const w = Math.max(r.v > 0 ? 2 : 0, (r.v / max) * (x1 - x0));
    return s('g', { class: `chart-bar chart-series-${i % 6}` },
      s('text', { class: 'chart-label', x: x0 - 8, y: yy + bar / 2 + 4, 'text-anchor': 'end' },
        r.label.length > 20 ? `${r.label.slice(0, 19)}…` : r.label),
      s('rect', { x: x0, y: yy, width: w.toFixed(1), height: bar }, s('title', {}, `${r.label}: ${r.v}${unit}`)),
      s('text', { class: 'chart-tick', x: x0 + w + 6, y: yy + bar / 2 + 4 }, `${short(r.v)}${unit}`));
  }));
}
