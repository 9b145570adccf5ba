// ops.mjs — a superadmin's platform pages in the console: fleet health,
// jobs (a backup followed live, a waiting job cancelled, a failed one
// retried), schedules, the audit log and the summaries. Run by
// tests/cli/console_ops_test.sh, which makes the tenants, rows, jobs and a
// schedule first; usage: node ops.mjs BASE SCREENSHOT_DIR
import { start, open, checkCsp, signIn, shot, noSideScroll, expect, refused, finish, apiCall, t } from './lib.mjs';

const { base } = await start();
const KEY = 'tenantd.console.session';
const token = (page) => page.evaluate((k) => JSON.parse(sessionStorage.getItem(k)).access_token, KEY);
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
const rowOf = (page, text) => page.locator('tbody tr', { hasText: text });

// the failed tenant's retry (503) and a bad cron expression (400) are
// refusals the steps expect
const { ctx, page } = await open(1280, refused(400, 500, 503));
t.step = 'sign in';
await signIn(page, 'Operator', 'root@example.com', 'root-password-1');
await page.waitForURL(/#\/tenants$/);

// 1. Fleet: the catalog and servers with a latency, the sampled tenants,
// the failed tenant's Retry (still broken: its problem is shown), check again.
t.step = 'fleet';
await nav(page, 'Fleet');
await page.waitForURL(/#\/fleet$/);
await page.getByRole('heading', { name: 'Database servers' }).waitFor();
const catalog = rowOf(page, 'catalog').first();
expect(/\d+(\.\d)? ms/.test(await catalog.textContent()), `no latency: ${await catalog.textContent()}`);
await page.getByRole('table', { name: 'Sampled tenants' }).getByText('alpha', { exact: true }).or(
  page.getByRole('table', { name: 'Sampled tenants' }).getByText('beta', { exact: true })).first().waitFor();
await page.getByRole('table', { name: 'Failed tenants' }).getByText('desk', { exact: true }).waitFor();
await page.getByText(/tenant services are behind|at the code's schema/).waitFor();
await shot(page, 'fleet');
await page.getByRole('button', { name: 'Retry desk' }).click();
await page.getByRole('alert').waitFor();
await page.getByLabel('Tenant databases to sample (0–500)').fill('0');
await page.getByRole('button', { name: 'Check again' }).click();
await page.getByRole('table', { name: 'Failed tenants' }).getByText('desk', { exact: true }).waitFor();
expect(await page.getByRole('alert').count() === 0, 'a new check clears the outcome of the retry');
expect(await page.getByRole('table', { name: 'Sampled tenants' }).count() === 0, 'a sample of 0 shows no tenant');

// 2. A backup queued now, followed live on its page until it succeeds;
// a queued job's page reads it every second, and stops once left.
t.step = 'job detail';
const root = await token(page);
const b = await apiCall('POST', '/v1/tenants/alpha/backups', root, {});
expect(b.status === 202, `backup: ${b.status}`);
const jobId = b.json.job.id;
await page.goto(`${base}/console#/jobs/${jobId}`);
await page.getByRole('heading', { name: `Job …${jobId.slice(-8)}` }).waitFor();
await page.locator('.facts .badge-succeeded').waitFor({ timeout: 20000 });
expect(await page.locator('progress#job-bar').count() === 1, 'a progress bar');
expect(await page.getByRole('button', { name: 'Cancel job…' }).count() === 0, 'no cancel for a finished job');
await shot(page, 'job-detail');

const q = await apiCall('GET', '/v1/admin/jobs?kind=tenant.backup&state=queued', root);
const waiting = q.json.items[0].id;
let polls = 0;
page.on('request', (r) => { if (r.url().endsWith(`/v1/admin/jobs/${waiting}`)) polls++; });
await page.goto(`${base}/console#/jobs/${waiting}`);
for (let i = 0; i < 50 && polls < 3; i++) await page.waitForTimeout(100);
expect(polls >= 3, `a queued job's page read it ${polls} times in 5 s`);
await nav(page, 'Jobs');
await page.waitForURL(/#\/jobs$/);
await page.waitForTimeout(300); // a read sent just before may still be answered
const seen = polls;
await page.waitForTimeout(1500);
expect(polls === seen, `the job was read ${polls - seen} times after its page was left`);

// 3. The list: filters by kind and state; the waiting job cancelled
// (confirmed), the failed one retried.
t.step = 'jobs list';
await page.getByLabel('Kind').selectOption('tenant.backup');
await rowOf(page, 'succeeded').first().waitFor();
await page.getByLabel('State').selectOption('queued');
await rowOf(page, 'queued').first().waitFor();
expect(await rowOf(page, 'succeeded').count() === 0, 'state filter');
await shot(page, 'jobs');
await rowOf(page, 'queued').first().getByRole('link').click();
await page.getByRole('button', { name: 'Cancel job…' }).click();
await page.getByRole('dialog').getByRole('button', { name: 'Cancel', exact: true }).click();
await page.getByRole('button', { name: 'Cancel job…' }).click();
await page.getByRole('dialog').getByRole('button', { name: 'Cancel the job' }).click();
await page.getByText('The job is cancelled.').waitFor();
expect(await page.evaluate(() => document.activeElement.textContent) === 'The job is cancelled.', 'the outcome has the focus');
await page.getByRole('button', { name: 'Retry job' }).waitFor(); // a cancelled job can be retried

await page.getByRole('link', { name: '← All jobs' }).click();
await page.getByLabel('State').selectOption('failed');
await page.getByLabel('Kind').selectOption('tenant.backup');
await rowOf(page, 'failed').first().getByRole('link').click();
await page.getByText(/no such tenant|tenant_not_found|not found/i).first().waitFor();
await page.getByRole('button', { name: 'Retry job' }).click();
await page.getByText(/The job is (queued|running)\./).waitFor();

// 4. Schedules: the one the test made, a new one created, disabled,
// rescheduled (a bad expression refused first), deleted.
t.step = 'cron';
await page.getByRole('link', { name: '← All jobs' }).click();
await page.getByRole('link', { name: 'Schedules (cron) →' }).click();
await page.waitForURL(/#\/jobs\/cron$/);
await rowOf(page, 'nightly-alpha').waitFor();
await page.getByLabel('Name').fill('ui-sched');
await page.getByLabel('Schedule', { exact: true }).fill('*/5 * * * *');
await page.getByLabel('Job kind').selectOption('usage.rollup');
await page.getByLabel('Payload (JSON)').fill('{}');
await page.getByRole('button', { name: 'Create schedule' }).click();
await page.getByText(/ui-sched is created/).waitFor();
await page.getByRole('button', { name: 'Disable ui-sched' }).click();
await page.getByText('ui-sched is disabled.').waitFor();
await page.getByRole('button', { name: 'Enable ui-sched' }).waitFor();
await page.getByLabel('Schedule of ui-sched', { exact: true }).fill('61 * * * *');
await page.getByRole('button', { name: 'Save the schedule of ui-sched' }).click();
await page.getByRole('alert').waitFor();
await page.getByLabel('Schedule of ui-sched', { exact: true }).fill('0 4 * * *');
await page.getByRole('button', { name: 'Save the schedule of ui-sched' }).click();
await page.getByText(/ui-sched now runs at “0 4 \* \* \*”/).waitFor();
await shot(page, 'cron');
await page.getByRole('button', { name: 'Delete ui-sched…' }).click();
await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
await page.getByText('ui-sched is deleted.').waitFor();
expect(await rowOf(page, 'ui-sched').count() === 0, 'the schedule is gone from the list');

// 5. Audit: the chains verify; filtered by action, only that action, and
// "Load more" pages on.
t.step = 'audit';
await nav(page, 'Audit');
await page.waitForURL(/#\/audit$/);
await page.locator('#audit-verify .badge', { hasText: 'verified' }).waitFor();
await page.getByLabel('Action').fill('create');
await page.getByLabel('Per page').selectOption('20');
await page.getByRole('button', { name: 'Filter' }).click();
const rows = page.locator('tbody tr');
await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 20);
const actions = () => page.locator('tbody .audit-action').allTextContents();
expect((await actions()).every((a) => a === 'create'), `other actions: ${await actions()}`);
await page.getByRole('button', { name: 'Load more' }).click();
await page.waitForFunction(() => document.querySelectorAll('tbody tr').length > 20);
expect((await actions()).every((a) => a === 'create'), 'the next page has only that action');
expect(await rows.count() >= 30, `${await rows.count()} records of 30 writes at least`);
await shot(page, 'audit');

// 6. Summaries: the services' table and chart, the tenants sorted by
// rows, usage over time as a line chart.
t.step = 'summaries';
await nav(page, 'Summaries');
await page.waitForURL(/#\/summaries$/);
await page.getByRole('table', { name: 'Services' }).getByText('crm', { exact: true }).waitFor();
await page.getByRole('img', { name: 'Rows per service' }).waitFor();
// beta has the most rows, alpha the first slug
const firstTenant = () => page.evaluate(() => {
  const t = [...document.querySelectorAll('table')].find((x) => x.caption.textContent === 'Tenants');
  return t ? t.tBodies[0].rows[0].querySelector('a').textContent : null;
});
await page.waitForFunction(() => [...document.querySelectorAll('caption')].some((c) => c.textContent === 'Tenants'));
expect(await firstTenant() === 'alpha', 'sorted by slug first');
await page.getByLabel('Sort by').selectOption('-rows');
await page.waitForFunction(() => {
  const t = [...document.querySelectorAll('table')].find((x) => x.caption.textContent === 'Tenants');
  return t && t.tBodies[0].rows[0].querySelector('a').textContent === 'beta';
});
await page.getByRole('img', { name: /Requests per hour, every tenant/ }).waitFor();
expect(await page.locator('svg.chart circle').count() > 0, 'usage has points');
await page.getByLabel('Figure').selectOption('rows_written');
await page.getByRole('img', { name: /Rows written per hour/ }).waitFor();
await shot(page, 'summaries');
await checkCsp(page);
await ctx.close();

// 7. At phone width every page fits (tables become cards).
t.step = 'phone';
{
  const { ctx: c, page: p } = await open(390);
  await signIn(p, 'Operator', 'root@example.com', 'root-password-1');
  await p.waitForURL(/#\/tenants$/);
  for (const [hash, ready] of [['fleet', 'Database servers'], ['jobs', 'Jobs'], ['jobs/cron', 'New schedule'],
    ['audit', 'Audit log'], ['summaries', 'Usage over time']]) {
    await p.goto(`${base}/console#/${hash}`);
    await p.getByRole('heading', { name: ready }).waitFor();
    await p.locator('tbody tr, svg.chart').first().waitFor();
    await noSideScroll(p, 390);
  }
  await shot(p, 'summaries-phone');
  await checkCsp(p);
  await c.close();
}

await finish();
