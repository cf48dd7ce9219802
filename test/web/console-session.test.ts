/// <reference lib="dom" />
// The real console in headless Chromium when its session ends elsewhere (another tab logs out, an
// admin changes the role): the live socket is closed with 4401 and the console goes back to its
// login page instead of reconnecting for ever; a wrong login shows the one refusal text.
import { existsSync } from 'node:fs';
import t from 'tap';
import { CHROMIUM, launch } from './helpers/browser.js';
import { http } from './helpers/http.js';
import { PASSWORD, startServer } from './helpers/server.js';

t.test('a session ended elsewhere takes the console back to its login page', { skip: !existsSync(CHROMIUM) && 'chromium not installed' }, async (t) => {
  const s = await startServer(t);
  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  await page.goto(s.base);
  await page.fill('#login-username', 'nobody');
  await page.fill('#login-password', 'whatever it is');
  await page.click('#login-submit');
  await page.waitForSelector('#login-error:has-text("Wrong username or password, or too many attempts")');
  await page.fill('#login-username', 'viewer');
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#live-status[data-state="connected"]');
  t.equal(s.app.liveHub.clientCount, 1);

  // The same session logged out from elsewhere (its cookie, its CSRF token from /auth/me).
  const sid = (await context.cookies()).find((c) => c.name === 'earshot_sid')!;
  const cookie = `earshot_sid=${sid.value}`;
  const { csrf } = (await http(s.base, '/api/v1/auth/me', { headers: { cookie } })).json();
  t.equal((await http(s.base, '/api/v1/auth/logout', { method: 'POST', body: {}, headers: { cookie, 'x-csrf-token': csrf } })).status, 200);
  // Bounded by the page timeout: the close arrives at once and the console reacts to it.
  await page.waitForSelector('#login-form', { timeout: 3000 });
  t.equal(await page.getAttribute('#topbar', 'hidden'), '', 'the top bar is hidden');
  t.equal(s.app.liveHub.clientCount, 0, 'and the console does not reconnect');
  t.same(errors, [], 'no script errors');
});
