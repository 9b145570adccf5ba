// console.mjs — drives the admin console in Debian's chromium (headless,
// through playwright-core) against a running tenantd: every kind of user
// signs in and sees its pages. Run by tests/cli/console_test.sh, which
// makes the server and its users; usage:
//   node console.mjs BASE SCREENSHOT_DIR
// Fails (exit 1) at the first unmet expectation, and at the end when any
// page asked another origin for anything, logged a console error, threw,
// or broke the Content-Security-Policy.
import { start, open, checkCsp, signIn, shot, noSideScroll, expect, refused as refusedCodes, finish, t } from './lib.mjs';

const { base } = await start();

const refused = refusedCodes(401, 429);

// 1. A wrong password: the API's detail is shown; the user stays.
t.step = 'wrong password';
{
  const { ctx, page } = await open(1280, refused);
  await signIn(page, 'Operator', 'root@example.com', 'not-the-password');
  const err = page.locator('#login-error');
  await err.waitFor();
  expect((await err.textContent()).includes('wrong email or password'), `error shown: ${await err.textContent()}`);
  expect(page.url().endsWith('#/login'), 'still on the sign-in page');
  await shot(page, 'login-error');
  await checkCsp(page);
  await ctx.close();
}

// 2. A locked account: the lockout's Retry-After is shown. The form is
// filled first, then the account locked, then the form sent.
t.step = 'lockout';
{
  const { ctx, page } = await open(1280, refused);
  await signIn(page, 'Tenant user', 'locked@acme.test', 'wrong-password-1', 'acme', false);
  const body = JSON.stringify({ tenant: 'acme', email: 'locked@acme.test', password: 'wrong-password-1' });
  let wait = 0;
  for (let i = 0; i < 20 && wait < 2; i++) {
    const r = await fetch(`${base}/v1/auth/login`, { method: 'POST', body });
    if (r.status === 429) {
      wait = Number(r.headers.get('Retry-After'));
      if (wait < 2) await new Promise((ok) => setTimeout(ok, wait * 1000 + 100));
    }
  }
  expect(wait >= 2, 'the account was not locked');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const err = page.locator('#login-error');
  await err.waitFor();
  const t = await err.textContent();
  expect(/Try again in \d+ s\./.test(t), `lockout shown: ${t}`);
  await checkCsp(page);
  await ctx.close();
}

// 3. The superadmin, keyboard only: the tenants, search, one tenant,
// suspend and resume (confirmed), sign out (the token is revoked).
t.step = 'superadmin';
{
  const { ctx, page } = await open(1280);
  await page.goto(`${base}/console`);
  await page.waitForURL(/#\/login$/);
  // the sign-in page puts the focus on the email field
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'email');
  await page.keyboard.type('root@example.com');
  await page.keyboard.press('Tab');
  await page.keyboard.type('root-password-1');
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/tenants$/);
  const rows = page.locator('tbody tr');
  await rows.first().waitFor();
  for (const slug of ['acme', 'globex', 'shop'])
    expect(await page.getByRole('link', { name: slug, exact: true }).count() === 1, `tenant ${slug} listed`);
  await shot(page, 'tenants');
  await page.getByLabel('Search the loaded tenants').fill('glob');
  expect(await rows.count() === 1 && (await rows.first().textContent()).includes('globex'), 'search keeps globex only');
  await page.getByLabel('Search the loaded tenants').fill('');
  await page.getByLabel('Status').selectOption('suspended');
  await page.getByText('No tenants.').waitFor();
  await page.getByLabel('Status').selectOption('');
  await page.getByRole('link', { name: 'acme', exact: true }).waitFor();
  await page.getByRole('link', { name: 'acme', exact: true }).click();
  await page.waitForURL(/#\/tenants\/acme$/);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByText('crm', { exact: true }).waitFor(); // its services
  await shot(page, 'tenant-detail');
  await page.getByRole('button', { name: 'Suspend…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Suspend…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
  await page.getByText('Tenant acme is suspended.').waitFor();
  await page.getByRole('button', { name: 'Resume…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Resume' }).click();
  await page.getByText('Tenant acme is active.').waitFor();
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('tenantd.console.session')).access_token);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out.').waitFor();
  expect(await page.evaluate(() => sessionStorage.length) === 0, 'sessionStorage emptied');
  let me = 0;
  for (let i = 0; i < 50 && me !== 401; i++) {
    me = (await fetch(`${base}/v1/auth/me`, { headers: { Authorization: `Bearer ${token}` } })).status;
    if (me !== 401) await new Promise((ok) => setTimeout(ok, 100));
  }
  expect(me === 401, `the signed-out token still works (${me})`);
  await checkCsp(page);
  await ctx.close();
}

// 4. A tenant admin: its tenant and its users, at 1280 and at 390 px.
t.step = 'tenant admin';
for (const width of [1280, 390]) {
  const { ctx, page } = await open(width);
  await signIn(page, 'Tenant user', 'admin@acme.test', 'admin-password-1', 'acme');
  await page.waitForURL(/#\/tenant$/);
  await page.getByText('cy@acme.test').waitFor();
  await page.getByText('admin@acme.test', { exact: true }).first().waitFor();
  await page.getByText(/steps done|Set-up is complete/).waitFor();
  await page.getByText('Acme Corp').waitFor();
  await noSideScroll(page, width);
  await shot(page, width < 500 ? 'tenant-users-phone' : 'tenant-users');
  if (width > 500) { // the onboarding card leads to the set-up wizard
    await page.getByRole('link', { name: /Continue the set-up|Review the set-up/ }).click();
    await page.waitForURL(/#\/onboarding$/);
    await page.getByText(/Step \d of 5|Set-up is complete/).first().waitFor();
  }
  await checkCsp(page);
  await ctx.close();
}

// 5. An account owner: its tenants, a switch into one, and back.
t.step = 'account owner';
{
  const { ctx, page } = await open(1280);
  await signIn(page, 'Account owner', 'owner@shop.test', 'owner-password-1');
  await page.waitForURL(/#\/account$/);
  await page.getByRole('button', { name: 'Switch to shop2' }).waitFor();
  expect(await page.getByRole('button', { name: 'Switch to shop', exact: true }).count() === 1, 'tenant shop listed');
  await shot(page, 'account-tenants');
  await page.getByRole('button', { name: 'Switch to shop2' }).click();
  await page.waitForURL(/#\/tenant$/);
  await page.getByRole('heading', { name: 'Tenant shop2' }).waitFor();
  await page.getByText('owner@shop.test', { exact: true }).first().waitFor();
  expect((await page.locator('#who').textContent()).includes('shop2'), 'header names shop2');
  await page.getByRole('button', { name: '← Back to my tenants' }).click();
  await page.waitForURL(/#\/account$/);
  await page.getByRole('button', { name: 'Switch to shop2' }).waitFor();
  await noSideScroll(page, 1280);
  await checkCsp(page);
  await ctx.close();
}

// 6. A route of another kind of user sends home; a reload keeps the session.
t.step = 'routes';
{
  const { ctx, page } = await open(1280);
  await signIn(page, 'Tenant user', 'admin@acme.test', 'admin-password-1', 'acme');
  await page.waitForURL(/#\/tenant$/);
  await page.goto(`${base}/console#/tenants`);
  await page.waitForURL(/#\/tenant$/);
  await page.reload();
  await page.getByText('cy@acme.test').waitFor();
  await checkCsp(page);
  await ctx.close();
}

// 7. Refresh before expiry (the server's access tokens live 70 s here:
// the console renews them 60 s early): a tenant admin's with its refresh
// token, a switched owner's by switching again; the pages go on working.
t.step = 'refresh';
{
  const KEY = 'tenantd.console.session';
  const token = (page) => page.evaluate((k) => JSON.parse(sessionStorage.getItem(k)).access_token, KEY);
  const renewed = (page, old) => page.waitForFunction(([k, o]) => {
    const s = JSON.parse(sessionStorage.getItem(k) || 'null');
    return s && s.access_token !== o;
  }, [KEY, old], { timeout: 40000 });
  const { ctx, page } = await open(1280);
  await signIn(page, 'Tenant user', 'admin@acme.test', 'admin-password-1', 'acme');
  await page.waitForURL(/#\/tenant$/);
  const first = await token(page);
  await renewed(page, first);
  const s = await page.evaluate((k) => JSON.parse(sessionStorage.getItem(k)), KEY);
  expect(s.refresh_token && s.tenant.slug === 'acme', 'renewed with a refresh token');
  await page.reload();
  await page.getByText('cy@acme.test').waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/#\/login$/);
  await signIn(page, 'Account owner', 'owner@shop.test', 'owner-password-1');
  await page.getByRole('button', { name: 'Switch to shop2' }).click();
  await page.getByRole('heading', { name: 'Tenant shop2' }).waitFor();
  const switched = await token(page);
  await renewed(page, switched);
  const o = await page.evaluate((k) => JSON.parse(sessionStorage.getItem(k)), KEY);
  expect(o.tenant.slug === 'shop2' && o.parent && o.parent.user.role === 'owner', 'switched again into shop2');
  await page.reload();
  await page.getByText('owner@shop.test', { exact: true }).first().waitFor();
  await checkCsp(page);
  await ctx.close();
}

await finish();
