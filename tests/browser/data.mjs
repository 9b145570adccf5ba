// data.mjs — a tenant's pages of the console in Debian's chromium: the
// admin manages users and API keys and browses, creates, edits (through a
// conflict) and deletes crm rows; a client sees only what its grants
// allow; acme's admin sees nothing of globex. Run by
// tests/cli/console_data_test.sh, which makes the tenants, users and rows:
//   node data.mjs BASE SCREENSHOT_DIR
import { writeFileSync } from 'node:fs';
import { start, open, checkCsp, signIn, shot, noSideScroll, expect, refused, apiCall, finish, t } from './lib.mjs';

const { base, shots } = await start();
const KEY = 'tenantd.console.session';
const token = (page) => page.evaluate((k) => JSON.parse(sessionStorage.getItem(k)).access_token, KEY);
// the API's refusals the steps provoke on purpose are logged by the browser
const expected = refused(400, 403, 412);

async function adminPage(width = 1280) {
  const { ctx, page } = await open(width, expected);
  await signIn(page, 'Tenant user', 'admin@acme.test', 'admin-password-1', 'acme');
  await page.waitForURL(/#\/tenant$/);
  return { ctx, page };
}

// 1. Users: a common password is refused by the API, then the user is
// added, made a manager, and disabled (confirmed).
t.step = 'users';
{
  const { ctx, page } = await adminPage();
  const add = page.getByRole('form', { name: 'Add a user' });
  await add.getByLabel('Email').fill('dee@acme.test');
  await add.getByLabel('Name').fill('Dee');
  await add.getByLabel('Password').fill('password1');
  await add.getByLabel('Role').selectOption('client');
  await add.getByLabel('crm').check();
  await add.getByRole('button', { name: 'Add user' }).click();
  await add.getByRole('alert').getByText(/common/).waitFor();
  await add.getByLabel('Password').fill('dee-password-1');
  await add.getByRole('button', { name: 'Add user' }).click();
  await page.getByText('dee@acme.test is added.').waitFor();
  expect(await add.getByRole('alert').count() === 0, 'the refusal is gone');
  await page.getByRole('button', { name: 'Edit dee@acme.test' }).click();
  const edit = page.getByRole('form', { name: 'Edit dee@acme.test' });
  await edit.getByLabel('Role').selectOption('manager');
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.getByText('dee@acme.test is saved.').waitFor();
  await page.getByRole('button', { name: 'Disable dee@acme.test' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
  await page.getByText('dee@acme.test is disabled.').waitFor();
  const row = page.locator('tr', { hasText: 'dee@acme.test' });
  expect((await row.textContent()).includes('manager'), 'dee is a manager');
  await page.getByRole('button', { name: 'Enable dee@acme.test' }).waitFor();
  await shot(page, 'users');
  await checkCsp(page);
  await ctx.close();
}

// 2. An API key: shown once with a Copy button; it works; after leaving
// the page it is nowhere; revoked, it stops working.
t.step = 'api key';
{
  const { ctx, page } = await adminPage();
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.origin });
  const add = page.getByRole('form', { name: 'Create an API key' });
  await add.getByLabel('Key name').fill('ci');
  await add.getByLabel('Role').selectOption('client');
  await add.getByLabel('crm').check();
  await add.getByRole('button', { name: 'Create key' }).click();
  await page.getByRole('heading', { name: 'Key ci created' }).waitFor();
  await page.getByText('it will not be shown again').waitFor();
  const key = (await page.locator('#new-key').textContent()).trim();
  expect(/^tdk_[A-Za-z0-9_-]+$/.test(key), `a key is shown: ${key}`);
  writeFileSync(`${shots}/api-key.txt`, key);
  await page.getByRole('button', { name: 'Copy' }).click();
  await page.getByText('Copied', { exact: true }).waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText()) === key, 'the key is on the clipboard');
  await shot(page, 'api-key-created');
  const me = await apiCall('GET', '/v1/auth/me', key);
  expect(me.status === 200 && me.json.api_key, `the key works (${me.status})`);
  const leads = await apiCall('GET', '/v1/crm/leads', key);
  expect(leads.status === 200, `the key lists leads (${leads.status})`);

  await page.getByRole('link', { name: 'Data' }).click();
  await page.waitForURL(/#\/data$/);
  await page.getByRole('link', { name: 'My tenant' }).click();
  await page.getByRole('button', { name: 'Revoke ci' }).waitFor();
  expect(!(await page.content()).includes(key), 'the key is not shown again');
  expect(await page.locator('#new-key').count() === 0, 'no key box after navigation');
  await page.getByRole('button', { name: 'Revoke ci' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await page.getByText('The key ci is revoked.').waitFor();
  expect(await page.getByRole('button', { name: 'Revoke ci' }).count() === 0, 'no Revoke for a revoked key');
  const after = await apiCall('GET', '/v1/auth/me', key);
  expect(after.status === 401, `the revoked key is refused (${after.status})`);
  await checkCsp(page);
  await ctx.close();
}

// 3. The data browser: crm.leads paged and filtered; a row created,
// edited, changed behind the page's back (the save shows the conflict and
// is retried over it), deleted.
t.step = 'data browser';
{
  const { ctx, page } = await adminPage();
  await page.getByRole('link', { name: 'Data' }).click();
  await page.getByRole('link', { name: 'commerce.products' }).waitFor();
  await page.getByRole('link', { name: 'crm.leads' }).click();
  await page.waitForURL(/#\/data\/crm\/leads$/);
  await page.getByText('25 rows so far.').waitFor();
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.getByText('27 rows.').waitFor(); // 26 of the admin's and the client's one
  expect(await page.getByRole('button', { name: 'Load more' }).isHidden(), 'no more to load');

  const filter = page.getByRole('form', { name: 'Filter the rows' });
  await filter.getByLabel('name contains').fill('Lead 1');
  await filter.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('10 rows.').waitFor(); // Lead 10 … Lead 19
  await filter.getByRole('button', { name: 'Clear' }).click();
  await page.getByText('25 rows so far.').waitFor();
  await filter.getByLabel('name contains').fill('Lead 2'); // a short page for the screenshots
  await filter.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('7 rows.').waitFor();

  const form = page.getByRole('form', { name: 'New leads row' });
  await form.getByLabel('name (required)').fill('Console lead');
  await form.getByLabel('email').fill('lead@example.com');
  await form.getByLabel('status').selectOption('contacted');
  await form.getByRole('button', { name: 'Create' }).click();
  await page.getByText('Console lead is created.').waitFor();
  await page.getByRole('button', { name: 'Edit Console lead' }).waitFor();
  await shot(page, 'data-browser');

  await page.getByRole('button', { name: 'Edit Console lead' }).click();
  let edit = page.getByRole('form', { name: 'Edit Console lead' });
  await edit.getByLabel('phone').fill('+1 555 0100');
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Console lead is saved.').waitFor();
  expect((await page.locator('tr', { hasText: 'Console lead' }).textContent()).includes('+1 555 0100'), 'the phone is shown');

  // the conflict: the row changes between the page's read and its save
  await page.getByRole('button', { name: 'Edit Console lead' }).click();
  edit = page.getByRole('form', { name: 'Edit Console lead' });
  await edit.getByLabel('company').fill('Mine Inc');
  const admin = await token(page);
  const list = await apiCall('GET', `/v1/crm/leads?filter=${encodeURIComponent("name eq 'Console lead'")}`, admin);
  const id = list.json.items[0].id;
  const behind = await apiCall('PATCH', `/v1/crm/leads/${id}`, admin, { source: 'changed elsewhere' });
  expect(behind.status === 200, `changed behind the page (${behind.status})`);
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.getByText('changed by someone else').waitFor();
  await shot(page, 'data-edit-conflict');
  await page.getByRole('button', { name: 'Save my changes over theirs' }).click();
  await page.getByText('Console lead is saved.').waitFor();
  expect(await edit.count() === 0, 'the editor is closed');
  const row = await apiCall('GET', `/v1/crm/leads/${id}`, admin);
  expect(row.json.company === 'Mine Inc' && row.json.source === 'changed elsewhere', `both changes kept: ${JSON.stringify(row.json)}`);

  // a conflict again, this time taking their version
  await page.getByRole('button', { name: 'Edit Console lead' }).click();
  edit = page.getByRole('form', { name: 'Edit Console lead' });
  await edit.getByLabel('company').fill('Not kept');
  await apiCall('PATCH', `/v1/crm/leads/${id}`, admin, { company: 'Theirs Ltd' });
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('button', { name: 'Reload the row' }).click();
  await page.getByText('the form shows the row as it is now').waitFor();
  expect(await page.getByRole('form', { name: 'Edit Console lead' }).getByLabel('company').inputValue() === 'Theirs Ltd', 'reloaded');
  await page.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('button', { name: 'Delete Console lead' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByText('Console lead is deleted.').waitFor();
  const gone = await apiCall('GET', `/v1/crm/leads/${id}`, admin);
  expect(gone.status === 404, `deleted (${gone.status})`);

  // acme's admin: nothing of globex, and its token naming globex is refused
  await filter.getByLabel('name contains').fill('Globex');
  await filter.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('No rows.').waitFor();
  expect(!(await page.content()).includes('Globex secret lead'), 'no globex row');
  const cross = await apiCall('GET', '/v1/crm/leads', admin, undefined);
  expect(cross.status === 200 && !JSON.stringify(cross.json).includes('Globex'), 'acme lists only acme');
  const r = await fetch(`${base}/v1/crm/leads`, { headers: { Authorization: `Bearer ${admin}`, 'X-Tenant': 'globex' } });
  expect(r.status === 403, `acme's token on globex answered ${r.status}`);
  await checkCsp(page);
  await ctx.close();
}

// 4. The data browser at phone width.
t.step = 'phone';
{
  const { ctx, page } = await adminPage(390);
  await page.goto(`${base}/console#/data/crm/leads`);
  await page.getByText('25 rows so far.').waitFor();
  await noSideScroll(page, 390);
  await shot(page, 'data-phone');
  await checkCsp(page);
  await ctx.close();
}

// 5. A client held to crm: its own rows only, crm only, no keys, no
// create where its role may not.
t.step = 'client';
{
  const { ctx, page } = await open(1280, expected);
  await signIn(page, 'Tenant user', 'cy@acme.test', 'cy-password-1', 'acme');
  await page.waitForURL(/#\/tenant$/);
  await page.getByRole('cell', { name: 'cy@acme.test', exact: true }).waitFor();
  expect(await page.getByText('admin@acme.test', { exact: true }).count() === 0, 'the client sees only itself');
  expect(await page.getByRole('heading', { name: 'API keys' }).isHidden(), 'no API keys for a client');
  expect(await page.getByRole('form', { name: 'Add a user' }).count() === 0, 'no user form for a client');
  await page.getByRole('link', { name: 'Data' }).click();
  await page.getByRole('link', { name: 'crm.leads' }).waitFor();
  expect(await page.getByRole('link', { name: 'commerce.products' }).count() === 0, 'commerce is not granted');
  await page.getByRole('link', { name: 'crm.leads' }).click();
  await page.getByText('1 row.').waitFor();
  await page.getByRole('cell', { name: 'Cy lead', exact: true }).waitFor();
  expect(!(await page.content()).includes('Lead 01'), "the admin's rows are not shown");
  await page.goto(`${base}/console#/data/crm/pipelines`);
  await page.getByText('No rows.').waitFor();
  expect(await page.getByRole('form', { name: 'New pipelines row' }).count() === 0, 'no create form where the role may not');
  await page.goto(`${base}/console#/data/commerce/products`);
  await page.getByText('There is no resource commerce.products you may use.').waitFor();
  await checkCsp(page);
  await ctx.close();
}

await finish();
