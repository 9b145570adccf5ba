// signup.mjs — sign-up and the set-up wizard of the console, in Debian's
// chromium against a running tenantd. Run by tests/cli/
// console_signup_test.sh; usage: node signup.mjs BASE SCREENSHOT_DIR.
// SIGNUP_PART=open (the default; the server has TENANTD_REGISTRATION=1
// and TENANTD_BRING_DATABASE=1, and a tenant "taken-shop"): a store is
// signed up through the form (a reserved and a taken slug refused first),
// the wizard is taken step by step with a reload in the middle, and ends
// complete. SIGNUP_PART=closed (registration and bringing a database off,
// a tenant "plain" made by the operator): the sign-in page offers no
// sign-up, #/signup says registration is closed, and plain's admin finds
// bringing a database unavailable in the wizard.
import { start, open, checkCsp, signIn, shot, noSideScroll, expect, refused, finish, t } from './lib.mjs';

const { base } = await start();
const part = process.env.SIGNUP_PART || 'open';

const status = (page) => page.locator('#wizard-status');
async function atStep(page, text) {
  await page.locator('#wizard-status', { hasText: text }).waitFor();
}

if (part === 'open') {
  // 409 slug taken, 400 a bad database URL, 402 a declined test card:
  // expected refusals
  const { ctx, page } = await open(1280, refused(409, 400, 402));

  t.step = 'the sign-in page offers sign-up';
  await page.goto(`${base}/console`);
  await page.waitForURL(/#\/login$/);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.waitForURL(/#\/signup$/);
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();

  t.step = 'the slug is suggested and checked as the API does';
  await page.getByLabel('Store name').fill('Taken Shop');
  expect(await page.getByLabel('Slug').inputValue() === 'taken-shop', 'slug suggested from the name');
  await page.getByLabel('Email').fill('corner@shop.test');
  await page.getByLabel('Password', { exact: true }).fill('corner-password-1');
  await page.getByLabel('Password again').fill('corner-password-2');
  await page.getByRole('button', { name: 'Create the account' }).click();
  await page.locator('#confirm-error', { hasText: 'The two passwords differ.' }).waitFor();
  await page.getByLabel('Password again').fill('corner-password-1');
  await page.getByLabel('Slug').fill('admin');
  await page.getByRole('button', { name: 'Create the account' }).click();
  await page.locator('#slug-error', { hasText: 'reserved word' }).waitFor();
  expect(await page.evaluate(() => document.activeElement.id) === 'slug', 'focus on the slug');

  t.step = 'a taken slug is refused by the API';
  await page.getByLabel('Slug').fill('taken-shop');
  await page.getByRole('button', { name: 'Create the account' }).click();
  await page.locator('#slug-error', { hasText: 'already taken' }).waitFor();
  expect(page.url().endsWith('#/signup'), 'still on the sign-up page');

  t.step = 'sign-up';
  await page.getByLabel('Store name').fill('Corner Shop');
  expect(await page.getByLabel('Slug').inputValue() === 'taken-shop', 'an edited slug is kept');
  await page.getByLabel('Slug').fill('corner-shop');
  await shot(page, 'signup');
  await page.getByRole('button', { name: 'Create the account' }).click();
  await page.waitForURL(/#\/onboarding$/);
  await page.getByRole('heading', { name: 'Set up Corner Shop' }).waitFor();
  // the store step is done by the sign-up: the wizard opens at the database
  await atStep(page, 'Step 2 of 5: Database');
  const s = await page.evaluate(() => JSON.parse(sessionStorage.getItem('tenantd.console.session')));
  expect(s.tenant.slug === 'corner-shop' && s.parent && s.parent.user.role === 'owner',
    'signed in as the owner, switched into corner-shop');
  await page.getByRole('button', { name: '← Back to my tenants' }).waitFor();
  await page.getByRole('link', { name: 'Set-up', exact: true }).waitFor();

  t.step = 'the store step, taken again';
  await page.getByRole('navigation', { name: 'Set-up steps' }).getByRole('button', { name: 'Store' }).click();
  await atStep(page, 'Step 1 of 5: Store');
  await page.getByLabel('Store name').fill('Corner Shop Ltd');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.getByRole('heading', { name: 'Set up Corner Shop Ltd' }).waitFor();
  await atStep(page, 'Step 2 of 5: Database');
  expect(await page.evaluate(() => document.activeElement.id) === 'step-title', 'focus on the step');

  t.step = 'the database step (bringing one is on here)';
  expect(await page.getByRole('button', { name: 'Skip this step' }).count() === 0, 'a required step has no Skip');
  expect(await page.getByLabel('PostgreSQL URL').isHidden(), 'no URL until PostgreSQL is chosen');
  await page.getByLabel('My own PostgreSQL database').check();
  await page.getByLabel('PostgreSQL URL').fill('postgres://127.0.0.1/nouser');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.getByRole('alert').filter({ hasText: /user|password|host/ }).waitFor();
  await atStep(page, 'Step 2 of 5: Database');
  await page.getByLabel(/^Embedded/).check();
  expect(await page.getByLabel('PostgreSQL URL').isHidden(), 'the URL hidden again');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await atStep(page, 'Step 3 of 5: Payments');

  t.step = 'a reload resumes at the next step';
  await page.reload();
  await atStep(page, 'Step 3 of 5: Payments');
  expect((await status(page).textContent()).includes('2 of 5 done'), 'two steps done');
  expect(await page.locator('progress').getAttribute('value') === '2', 'progress 2 of 5');
  await page.getByText('Optional: you may skip this step.').waitFor();

  t.step = 'skip payments';
  await page.getByRole('button', { name: 'Skip this step' }).click();
  await atStep(page, 'Step 4 of 5: Credits');

  t.step = 'credits with the test provider';
  await page.getByText('Test provider:').waitFor();
  await shot(page, 'onboarding-step');
  await page.getByLabel('Credits to buy').fill('250');
  await page.getByLabel('Test card number').fill('4000000000000002');
  await page.getByRole('button', { name: 'Buy with the test card' }).click();
  await page.getByRole('alert').filter({ hasText: /declined/ }).waitFor();
  await page.getByLabel('Test card number').fill('4242424242424242');
  await page.getByRole('button', { name: 'Buy with the test card' }).click();
  await atStep(page, 'Step 5 of 5: Profile');

  t.step = 'profile';
  await page.getByLabel('Company').fill('Corner Shop Ltd');
  await page.getByLabel('Phone').fill('+1 555 0100');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.getByRole('heading', { name: 'Set-up is complete' }).waitFor();
  expect(await page.locator('progress').getAttribute('value') === '5', 'progress 5 of 5');
  await shot(page, 'onboarding-complete');

  t.step = 'complete, then the tenant';
  await page.setViewportSize({ width: 390, height: 844 });
  await noSideScroll(page, 390);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('link', { name: 'Go to my tenant' }).click();
  await page.waitForURL(/#\/tenant$/);
  await page.getByText('Set-up is complete.').waitFor();
  await page.goto(`${base}/console#/onboarding`);
  await page.getByRole('heading', { name: 'Set-up is complete' }).waitFor();
  await checkCsp(page);
  await ctx.close();

  t.step = 'the sign-up page at phone width';
  {
    const phone = await open(390);
    await phone.page.goto(`${base}/console#/signup`);
    await phone.page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await noSideScroll(phone.page, 390);
    await checkCsp(phone.page);
    await phone.ctx.close();
  }
} else {
  const { ctx, page } = await open(1280);

  t.step = 'registration off: no sign-up offered';
  const asked = page.waitForResponse((r) => r.url().endsWith('/v1/auth/register'));
  await page.goto(`${base}/console`);
  await page.waitForURL(/#\/login$/);
  await asked;
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  expect(await page.locator('#signup-offer').isHidden(), 'the sign-up link is hidden');
  expect(await page.getByRole('link', { name: 'Create an account' }).count() === 0, 'no sign-up link');

  t.step = 'registration off: #/signup says so';
  await page.goto(`${base}/console#/signup`);
  await page.getByRole('heading', { name: 'Registration is closed' }).waitFor();
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.waitForURL(/#\/login$/);

  t.step = 'an operator\'s tenant: its admin opens the wizard; bringing a database is off';
  await signIn(page, 'Tenant user', 'admin@plain.test', 'admin-password-1', 'plain');
  await page.waitForURL(/#\/tenant$/);
  await page.getByRole('link', { name: 'Set-up', exact: true }).click();
  await page.waitForURL(/#\/onboarding$/);
  await atStep(page, 'Step 2 of 5: Database');
  expect(await page.getByLabel('My own PostgreSQL database').isDisabled(), 'bringing a database unavailable');
  await page.getByText('not available here').waitFor();
  await checkCsp(page);
  await ctx.close();
}

await finish();
