// tenants.mjs — a superadmin's tenant pages in Debian's chromium, against
// the server tests/cli/console_tenants_test.sh started (tenants acme and
// doomed exist): the create wizard (a taken slug refused by its field,
// then a tenant made and followed to its page), a tenant's tabs (arrow
// keys, the tab kept in the hash), a hostname added and removed, a service
// enabled and disabled, a backup taken, followed and downloaded, the usage
// chart, the audit log, credits granted, an impersonation (refused without
// a reason), and a delete confirmed by typing the slug. Usage:
//   node tenants.mjs BASE SCREENSHOT_DIR
import { statSync } from 'node:fs';
import { start, open, checkCsp, signIn, shot, noSideScroll, expect, refused, apiCall, finish, t } from './lib.mjs';

const { base } = await start();
const KEY = 'tenantd.console.session';

// 409: the taken slug; 404: the deleted tenant, no longer found
const { ctx, page } = await open(1280, refused(409, 404));
const msg = page.locator('#tenant-msg');
const said = async (text) => page.locator('#tenant-msg', { hasText: text }).waitFor();
const tab = (name) => page.getByRole('tab', { name, exact: true });

t.step = 'list';
await signIn(page, 'Operator', 'root@example.com', 'root-password-1');
await page.waitForURL(/#\/tenants$/);
await page.getByRole('link', { name: 'acme', exact: true }).waitFor();
await page.getByRole('columnheader', { name: 'Rows' }).waitFor();
// Enter asks the API (q) for every tenant that matches; clearing shows all again
await page.getByLabel('Search the loaded tenants').fill('OOM');
await page.getByLabel('Search the loaded tenants').press('Enter');
await page.getByText('1 of 1 loaded matching “oom”').waitFor();
expect(await page.getByRole('link', { name: 'doomed', exact: true }).count() === 1, 'doomed found by the API');
await page.getByLabel('Search the loaded tenants').fill('');
await page.getByRole('link', { name: 'acme', exact: true }).waitFor();
await page.getByRole('link', { name: 'New tenant' }).click();

t.step = 'wizard';
await page.waitForURL(/#\/tenants\/new$/);
await page.getByRole('heading', { name: /Step 1 of 6: Identity/ }).waitFor();
await page.getByRole('button', { name: 'Next' }).click();
await page.getByText('A slug is required.').waitFor();
// keyboard: type, Enter goes on
await page.getByLabel('Slug').fill('acme');
await page.getByLabel('Name').fill('Initech Corp');
await page.keyboard.press('Enter');
await page.getByRole('heading', { name: /Step 2 of 6: Services/ }).waitFor();
await page.getByLabel('crm', { exact: true }).check();
await page.getByRole('button', { name: 'Back' }).click();
expect(await page.getByLabel('Name').inputValue() === 'Initech Corp', 'Back keeps what was typed');
await page.getByLabel('Name').press('Enter');
for (const step of ['Plan', 'Backend', 'First admin']) {
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('heading', { name: new RegExp(`: ${step}$`) }).waitFor();
  if (step === 'Plan') expect(await page.locator('#plan-free').isChecked(), 'plan free chosen by default');
}
await page.getByLabel('Admin email').fill('admin@initech.test');
await page.getByLabel('Admin password').fill('admin-password-1');
await page.getByRole('button', { name: 'Next' }).click();
await page.getByRole('heading', { name: /Step 6 of 6: Review/ }).waitFor();
await page.getByRole('button', { name: 'Create tenant' }).click();
// acme is taken: back on the identity step, the refusal by the slug
const slugErr = page.locator('#new-slug-error');
await slugErr.waitFor();
expect((await slugErr.textContent()).includes('acme'), `slug error: ${await slugErr.textContent()}`);
expect(await page.evaluate(() => document.activeElement.id) === 'new-slug', 'the slug field has the focus');
await page.getByLabel('Slug').fill('initech');
for (let i = 0; i < 5; i++) await page.getByRole('button', { name: 'Next' }).click();
await page.getByText('admin@initech.test').waitFor();
await shot(page, 'tenant-create');
await page.getByRole('button', { name: 'Create tenant' }).click();
await page.waitForURL(/#\/tenants\/initech$/, { timeout: 30000 });
await page.getByRole('heading', { name: 'Overview' }).waitFor();

t.step = 'tabs';
await tab('Overview').focus();
await page.keyboard.press('ArrowRight');
await page.waitForURL(/#\/tenants\/initech\/services$/);
expect(await tab('Services').getAttribute('aria-selected') === 'true', 'Services selected by the arrow key');
expect(await page.evaluate(() => document.activeElement.getAttribute('role')) === 'tab', 'focus stays on the tabs');
await page.keyboard.press('End');
await page.waitForURL(/#\/tenants\/initech\/audit$/);

t.step = 'services';
await tab('Services').click();
await page.getByRole('button', { name: 'Enable billing…' }).click();
await page.getByRole('dialog').getByRole('button', { name: 'Enable' }).click();
await said('billing is enabled for initech.');
await page.getByRole('button', { name: 'Disable billing…' }).click();
await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
await said('billing is disabled for initech.');

t.step = 'users and keys of the tenant';
await tab('Users').click();
{
  const add = page.getByRole('form', { name: 'Add a user' });
  await add.getByLabel('Email').fill('zed@initech.test');
  await add.getByLabel('Password').fill('zed-password-1');
  await add.getByLabel('Role').selectOption('client');
  await add.getByRole('button', { name: 'Add user' }).click();
  await page.getByRole('button', { name: 'Edit zed@initech.test' }).waitFor();
  await tab('API keys').click();
  const key = page.getByRole('form', { name: 'Create an API key' });
  await key.getByLabel('Key name').fill('ops');
  await key.getByLabel('Role').selectOption('manager');
  await key.getByRole('button', { name: 'Create key' }).click();
  await page.getByRole('heading', { name: 'Key ops created' }).waitFor();
  await page.getByRole('button', { name: 'Revoke ops' }).waitFor();
}

t.step = 'hostnames';
await tab('Hostnames').click();
await page.getByLabel('Add a hostname').fill('app.initech.test');
await page.getByRole('button', { name: 'Add', exact: true }).click();
await said('app.initech.test now reaches initech.');
await page.getByRole('cell', { name: 'app.initech.test', exact: true }).waitFor();
await page.getByRole('button', { name: 'Remove app.initech.test…' }).click();
await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
await said('app.initech.test was removed.');
await page.getByText('No custom hostnames').waitFor();

t.step = 'backups';
await page.goto(`${base}/console#/tenants/initech/backups`);
await page.reload(); // the tab is in the hash: a reload keeps it
await page.getByRole('heading', { name: 'Backups' }).waitFor();
await page.getByRole('button', { name: 'Take a backup' }).click();
await said('Backup succeeded.');
await page.getByRole('button', { name: 'Download' }).waitFor();
await shot(page, 'tenant-backups');
const [download] = await Promise.all([
  page.waitForEvent('download'),
  page.getByRole('button', { name: 'Download' }).click(),
]);
const file = await download.path();
expect(file && statSync(file).size > 0, 'the downloaded backup is empty');
expect(download.suggestedFilename().endsWith('.tdbackup'), `file name ${download.suggestedFilename()}`);
await page.getByRole('button', { name: 'Restore as new…' }).click();
await page.getByRole('dialog').getByLabel('New slug').fill('initech-copy');
await page.getByRole('dialog').getByRole('button', { name: 'Restore as new' }).click();
await said('Restore as initech-copy succeeded.');

t.step = 'usage';
await tab('Usage').click();
await page.locator('.usage-chart svg.chart').waitFor();
await page.getByLabel('Bucket').selectOption('day');
await page.getByLabel('Range').selectOption('7');
await page.locator('.usage-chart svg.chart').waitFor();
await shot(page, 'tenant-usage');

t.step = 'audit';
await tab('Audit').click();
await page.getByRole('cell', { name: 'tenant.backup', exact: true }).first().waitFor();

t.step = 'credits';
await tab('Credits').click();
await page.getByText('Balance: 0 credits').waitFor();
await page.getByLabel('Credits to grant').fill('250');
await page.getByRole('button', { name: 'Grant credits' }).click();
await said('Granted: the balance is 250.');
await page.getByText('Balance: 250 credits').waitFor();

t.step = 'subscription';
await tab('Subscription').click();
await page.getByLabel('Plan', { exact: true }).selectOption('pro');
await page.getByRole('button', { name: 'Save' }).click();
await said('Now on pro, active.');
await page.getByRole('cell', { name: 'free → pro' }).waitFor();

t.step = 'move';
await page.getByRole('button', { name: 'Move…' }).click();
const mv = page.getByRole('dialog');
await mv.getByLabel('Move to').fill('sqlite');
await mv.getByRole('button', { name: 'Move', exact: true }).click();
await mv.getByText(/already|same/).waitFor(); // 409 same_placement, shown in the dialog
await mv.getByRole('button', { name: 'Cancel' }).click();

t.step = 'impersonate';
await page.getByRole('button', { name: 'Impersonate…' }).click();
const dlg = page.getByRole('dialog');
await dlg.getByRole('button', { name: 'Impersonate' }).click();
await dlg.getByText('A reason is required.').waitFor();
expect(await dlg.isVisible(), 'the dialog stays open without a reason');
await dlg.getByLabel('Reason').fill('support ticket 42');
await dlg.getByLabel('Minutes').fill('5');
await dlg.getByRole('button', { name: 'Impersonate' }).click();
await page.getByRole('heading', { name: 'Impersonating admin@initech.test' }).waitFor();
const token = await page.locator('#imp-token').inputValue();
const me = await apiCall('GET', '/v1/auth/me', token);
expect(me.status === 200 && me.json.impersonation && me.json.role === 'admin', `the token is the user's: ${JSON.stringify(me.json)}`);
await page.getByRole('button', { name: 'End it now' }).click();
await said('The impersonation of admin@initech.test has ended.');
expect((await apiCall('GET', '/v1/auth/me', token)).status === 401, 'the ended token still works');
await tab('Audit').click();
const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'support ticket 42', exact: true }) });
await row.getByText('revoked').waitFor(); // the impersonations, with the reason

t.step = 'phone';
await page.setViewportSize({ width: 390, height: 844 });
await tab('Backups').click();
await page.getByRole('button', { name: 'Download' }).waitFor();
await noSideScroll(page, 390);
await page.setViewportSize({ width: 1280, height: 900 });

t.step = 'delete';
await page.goto(`${base}/console#/tenants/doomed`);
await page.getByRole('heading', { name: 'Overview' }).waitFor();
await page.getByRole('button', { name: 'Delete…' }).click();
const del = page.getByRole('dialog');
const confirmBtn = del.getByRole('button', { name: 'Delete tenant' });
expect(await confirmBtn.isDisabled(), 'Delete enabled before the slug is typed');
await del.getByLabel('Type doomed to confirm').fill('acme');
expect(await confirmBtn.isDisabled(), 'Delete enabled by a wrong slug');
await del.getByLabel('Type doomed to confirm').fill('doome');
expect(await confirmBtn.isDisabled(), 'Delete enabled by part of the slug');
await del.getByLabel('Type doomed to confirm').fill('doomed');
expect(await confirmBtn.isEnabled(), 'Delete still disabled with the slug typed');
await shot(page, 'tenant-delete');
await confirmBtn.click();
await said('Tenant doomed was deleted.');
await page.locator('.tenant-status .badge-deleted').waitFor();
expect(await msg.isVisible(), 'the outcome is shown');
expect(await page.evaluate((k) => !!sessionStorage.getItem(k), KEY), 'still signed in');
await checkCsp(page);
await ctx.close();

await finish();
