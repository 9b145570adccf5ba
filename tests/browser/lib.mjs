// lib.mjs — what every browser test of the console shares: Debian's
// chromium through playwright-core, a context per user that records what
// a page does wrong (a request to another origin, a console error, an
// uncaught exception, a Content-Security-Policy violation), sign-in,
// screenshots. A test script:
//   import { start, open, signIn, shot, expect, finish, t } from './lib.mjs';
//   const { base } = await start();      // argv: BASE SCREENSHOT_DIR [BROWSER]
//   t.step = 'what is being done';       // named in every failure
//   const { ctx, page } = await open(1280);
//   …; await checkCsp(page); await ctx.close();
//   await finish();                       // exit 1 when a problem was seen
import { chromium, firefox } from 'playwright-core';
import { execFileSync } from 'node:child_process';

export const t = { step: 'start', base: '', shots: '', origin: '', browser: 'chromium' };
const problems = [];
let browser = null;

export function expect(cond, what) {
  if (!cond) throw new Error(`${t.step}: ${what}`);
}

process.on('uncaughtException', (e) => {
  console.error(`FAIL at step "${t.step}": ${e.message}`);
  process.exit(1);
});
process.on('unhandledRejection', (e) => {
  console.error(`FAIL at step "${t.step}": ${e && e.message ? e.message : e}`);
  process.exit(1);
});

// BROWSER: 'chromium' (Debian's chromium over CDP, the default) or
// 'firefox' (Debian's firefox-esr over WebDriver BiDi: playwright-core's
// moz-firefox channel drives a stock Firefox, no patched build).
export async function start() {
  [t.base, t.shots] = process.argv.slice(2);
  t.browser = process.argv[4] || 'chromium';
  t.origin = new URL(t.base).origin;
  const which = (cmd) => execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
  browser = t.browser === 'firefox'
    ? await firefox.launch({ channel: 'moz-firefox-esr', executablePath: which('firefox-esr'), timeout: 120000 })
    : await chromium.launch({ executablePath: which('chromium'), args: ['--no-sandbox'] });
  return { base: t.base, shots: t.shots, browser };
}

// The browser logs a refused request as a console error: a step that
// expects one names it here (for example refused(401, 429)).
export function refused(...codes) {
  return [new RegExp(`Failed to load resource: the server responded with a status of (${codes.join('|')})`)];
}

// A fresh browser context (its own sessionStorage) that records what the
// page does wrong. allowed: console errors the step expects.
export async function open(width, allowed = []) {
  const ctx = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin !== t.origin && u.protocol !== 'data:' && u.protocol !== 'blob:')
      problems.push(`${t.step}: a request to another origin: ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (text.includes(SHOT_STYLE)) return;
    if (allowed.some((a) => a.test(text))) return;
    problems.push(`${t.step}: console error: ${text}`);
  });
  page.on('pageerror', (e) => {
    if (!e.message.includes(SHOT_STYLE)) problems.push(`${t.step}: page error: ${e.message}`);
  });
  return { ctx, page };
}

export async function checkCsp(page) {
  const v = await page.evaluate(() => window.__csp);
  for (const x of v) problems.push(`${t.step}: CSP violation: ${x}`);
}

// mode: 'Operator', 'Tenant user' or 'Account owner' (the radio's label).
export async function signIn(page, mode, email, password, tenant, submit = true) {
  await page.goto(`${t.base}/console`);
  await page.waitForURL(/#\/login$/);
  await page.getByLabel(mode, { exact: true }).check();
  if (tenant) await page.getByLabel('Tenant (slug)').fill(tenant);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  if (submit) await page.getByRole('button', { name: 'Sign in' }).click();
}

// In Firefox a screenshot adds playwright's own <style> element to the
// page, which the page's CSP refuses (chromium's protocol bypasses CSP):
// the violations a screenshot causes are not the page's, and are dropped.
const SHOT_STYLE = 'sha256-YjaKGiklmzC6wjXA513HAMmzus8VE61XCOT+SmwNZWA=';
export async function shot(page, name) {
  const before = await page.evaluate(() => window.__csp.length);
  await page.screenshot({ path: `${t.shots}/${name}.png`, fullPage: true, caret: 'initial' });
  if (t.browser !== 'firefox') return;
  await page.waitForTimeout(50);
  await page.evaluate((n) => window.__csp.splice(n).filter((v) => !v.startsWith('style-src-elem '))
    .forEach((v) => window.__csp.push(v)), before);
}

export async function noSideScroll(page, width) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(w <= width, `the page is ${w} px wide at ${width} px`);
}

// The API, outside the browser (set-up and checks of what the console did).
export async function apiCall(method, path, token, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(`${t.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: r.status, json, headers: r.headers };
}

export async function finish() {
  await browser.close();
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log('browser: ok');
}
