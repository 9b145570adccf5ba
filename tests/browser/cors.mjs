// cors.mjs — a page on one origin (http://127.0.0.1:PORT) calls the API on
// another (http://localhost:PORT, the same server by another name). With
// CORS_PART=refused (no TENANTD_CORS_ORIGINS) the browser refuses to let
// the page read the answer; with CORS_PART=allowed (TENANTD_CORS_ORIGINS=*)
// it signs in and reads /v1/auth/me with the token, after a preflight.
// Run by tests/cli/cors_test.sh.
import { start, open, expect, finish, t } from './lib.mjs';

await start();
const api = t.base.replace('127.0.0.1', 'localhost');
const part = process.env.CORS_PART;
t.step = `cors ${part}`;
// the browser logs the refused cross-origin fetch: expected when refused
// (and /favicon.ico's 404 for the JSON page)
const { ctx, page } = await open(1280, part === 'refused' ? [/CORS|Access-Control|Failed to load resource/] : [/status of 404/]);
await page.goto(`${t.base}/health`); // a page of the first origin, without a CSP
t.origin = 'http://localhost:' + new URL(api).port; // calls there are the point, not a fault
const r = await page.evaluate(async (url) => {
  try {
    const login = await fetch(`${url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'root@example.com', password: 'root-password-1' }),
    });
    const tok = (await login.json()).access_token;
    const me = await fetch(`${url}/v1/auth/me`, { headers: { Authorization: `Bearer ${tok}` } });
    return { ok: true, status: me.status, body: await me.json(), rid: me.headers.get('X-Request-Id') };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}, api);
if (part === 'refused') {
  expect(!r.ok && /TypeError/.test(r.error), `the cross-origin call was not refused: ${JSON.stringify(r)}`);
} else {
  expect(r.ok && r.status === 200 && r.body.role === 'superadmin', `the cross-origin call failed: ${JSON.stringify(r)}`);
  expect(r.rid && r.rid.length > 8, 'X-Request-Id is exposed to the page');
}
await ctx.close();
await finish();
