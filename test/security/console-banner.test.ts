// Probe: the console says plainly which ingest is closed. The real console in headless Chromium
// (Debian `chromium`) against an appliance with the default configuration: after login the banner
// under the top bar names the closed audio forks and the local-only SIPREC, with how to open them.
import { existsSync } from 'node:fs';
import t from 'tap';
import { createUser } from '../../src/web/index.js';
import { CHROMIUM, launch } from '../web/helpers/browser.js';
import { startProbe } from './rig.js';
import { dbOf } from '../helpers/db.js';

const PASSWORD = 'banner probe password';

t.test('the console shows closed and local-only ingest after login', { skip: !existsSync(CHROMIUM) && 'chromium not installed', timeout: 120_000 }, async (t) => {
  const p = await startProbe(t);
  createUser(dbOf(p.appliance.pipeline.store), { username: 'admin', role: 'admin', password: PASSWORD });
  const browser = await launch(t);
  const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${p.httpUrl}/`);
  t.equal(await page.isVisible('[data-testid="ingest-banner"]'), false, 'nothing shown before login');
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  const forks = page.locator('[data-testid="ingest-banner"] [data-front="forks"]');
  await forks.waitFor();
  t.match(await forks.textContent(), /Audio-fork ingest: closed \(no credential configured\) — add a forks\.apiKeys entry/);
  const sip = page.locator('[data-testid="ingest-banner"] [data-front="sip"]');
  t.match(await sip.textContent(), /SIPREC ingest: accepts the local host only — list your SBCs' addresses in sip\.allow/);
  t.equal(await page.locator('[data-testid="ingest-banner"] [data-front="audiosocket"]').count(), 0, 'AudioSocket is off, not closed: not listed');
  await page.click('#logout');
  await page.waitForSelector('#login-submit');
  t.equal(await page.isVisible('[data-testid="ingest-banner"]'), false, 'hidden again after logout');
});
