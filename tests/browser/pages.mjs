// pages.mjs — every page of the console, for every kind of user, in one
// browser (argv BROWSER: chromium or firefox): each link of the header's
// navigation and each tab of a tenant's page is opened; it must finish
// loading ("Loading…" gone) with no API error shown, no request to another
// origin, no console error and no CSP violation. In chromium each page is
// seen again at phone width (390 px) with no sideways scroll. Run by
// tests/cli/console_pages_test.sh, which makes the users:
//   node pages.mjs BASE SCREENSHOT_DIR BROWSER
import { start, open, checkCsp, signIn, shot, noSideScroll, expect, finish, t } from './lib.mjs';

await start();
const widths = t.browser === 'chromium' ? [1280, 390] : [1280];
const seen = new Set();

// Waits until the page has loaded what it asked for, then checks it.
async function settled(page, width, name) {
  await page.locator('main h1').first().waitFor();
  await page.waitForFunction(() => ![...document.querySelectorAll('main *')]
    .some((e) => e.childElementCount === 0 && e.textContent.trim() === 'Loading…'), null, { timeout: 20000 });
  const errors = await page.locator('main .error').allTextContents();
  expect(errors.length === 0, `${name} shows an error: ${errors.join(' | ')}`);
  if (width < 500) await noSideScroll(page, width);
  const file = `${t.browser}-${width}-${name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}`;
  if (!seen.has(file)) {
    seen.add(file);
    await shot(page, file);
  }
}

// Opens each link of the header's navigation, and the tabs of each page
// that has them.
async function everyPage(page, width) {
  const links = await page.locator('header nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  expect(links.length > 0, 'the header has links');
  for (const href of links) {
    t.step = `${t.browser} ${width}px ${href}`;
    await page.locator(`header nav a[href="${href}"]`).click();
    await page.waitForURL((u) => u.hash.startsWith(href));
    await settled(page, width, href);
    await tabs(page, width, href);
  }
}

async function tabs(page, width, where) {
  const names = await page.getByRole('tab').allTextContents();
  for (const name of names) {
    t.step = `${t.browser} ${width}px ${where} tab ${name}`;
    await page.getByRole('tab', { name, exact: true }).click();
    await settled(page, width, `${where} ${name}`);
  }
}

for (const width of widths) {
  t.step = `${t.browser} ${width}px operator`;
  {
    const { ctx, page } = await open(width);
    await signIn(page, 'Operator', 'root@example.com', 'root-password-1');
    await page.waitForURL(/#\/tenants$/);
    await everyPage(page, width);
    t.step = `${t.browser} ${width}px operator: a tenant`;
    await page.goto(`${t.base}/console#/tenants/acme`);
    await settled(page, width, '#/tenants/acme');
    await tabs(page, width, '#/tenants/acme');
    await checkCsp(page);
    await ctx.close();
  }
  t.step = `${t.browser} ${width}px tenant admin`;
  {
    const { ctx, page } = await open(width);
    await signIn(page, 'Tenant user', 'admin@acme.test', 'admin-password-1', 'acme');
    await page.waitForURL(/#\/tenant$/);
    await everyPage(page, width);
    await checkCsp(page);
    await ctx.close();
  }
  t.step = `${t.browser} ${width}px account owner`;
  {
    const { ctx, page } = await open(width);
    await signIn(page, 'Account owner', 'owner@shop.test', 'owner-password-1');
    await page.waitForURL(/#\/account$/);
    await everyPage(page, width);
    await checkCsp(page);
    await ctx.close();
  }
}
await finish();
