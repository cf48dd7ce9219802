/// <reference lib="dom" />
// The wallboard names each tile's channel (issue 17) in headless Chromium over a real server: a
// chat, a WeChat conversation and an e-mail thread are labelled as such, never as a phone call,
// both for conversations already open when the console connects (the snapshot) and for those that
// start while it watches (live); in English and in Chinese.
import { existsSync } from 'node:fs';
import t from 'tap';
import type { Page } from 'playwright-core';
import { CHROMIUM, launch } from './helpers/browser.js';
import { PASSWORD, startServer } from './helpers/server.js';

async function logIn(page: Page, base: string) {
  await page.goto(base);
  await page.fill('#login-username', 'viewer');
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#live-status[data-state="connected"]');
}

const tiles = (page: Page) =>
  page.$$eval('[data-testid="call-tile"]', (els) =>
    els
      .map((e) => [(e as HTMLElement).dataset.callId ?? '', (e as HTMLElement).dataset.channel ?? '', e.querySelector('[data-testid="tile-channel"] .channel-label')?.textContent ?? ''])
      .sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  );

for (const [locale, labels] of [
  ['en-US', { voice: 'Voice', chat: 'Web chat', wechat: 'WeChat', email: 'E-mail' }],
  ['zh-CN', { voice: '语音', chat: '网页聊天', wechat: '微信', email: '邮件' }],
] as const) {
  t.test(`wallboard tiles show their channel (${locale})`, { skip: !existsSync(CHROMIUM) && 'chromium not installed' }, async (t) => {
    const s = await startServer(t);
    const open = (externalId: string, channel: 'voice' | 'chat' | 'wechat' | 'email') =>
      s.calls.open({ ingest: channel === 'voice' ? 'siprec' : 'conversation', externalId, agentId: `agent-${externalId}`, queue: 'support', startedAt: Date.now() - 30_000, channel }).info.callId;
    // Open before the console connects: they come with the snapshot.
    const voice = open('v1', 'voice');
    const chat = open('c1', 'chat');
    const browser = await launch(t);
    const context = await browser.newContext({ locale, viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await logIn(page, s.base);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="call-tile"]').length === 2);
    // Started while the console watches: they come as call.started messages.
    const wechat = open('w1', 'wechat');
    const mail = open('m1', 'email');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="call-tile"]').length === 4);
    const want = [
      [voice, 'voice', labels.voice],
      [chat, 'chat', labels.chat],
      [wechat, 'wechat', labels.wechat],
      [mail, 'email', labels.email],
    ].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    t.same(await tiles(page), want, 'each tile: its channel and the label in the console language');
    const icon = await page.$eval(`[data-testid="call-tile"][data-call-id="${chat}"] .channel-icon`, (e) => [e.textContent, e.getAttribute('aria-hidden')]);
    t.same(icon, ['💬', 'true'], 'an icon beside the label, hidden from screen readers (the label says it)');
    t.not(
      await page.$eval(`[data-testid="call-tile"][data-call-id="${chat}"]`, (e) => getComputedStyle(e).borderTopStyle),
      await page.$eval(`[data-testid="call-tile"][data-call-id="${voice}"]`, (e) => getComputedStyle(e).borderTopStyle),
      'a typed conversation is marked apart from a call',
    );
    // The chip fits the tile head: the tile keeps its fixed height and the agent stays visible.
    const box = await page.$eval(`[data-testid="call-tile"][data-call-id="${mail}"]`, (e) => {
      const head = e.querySelector('.tile-head')!.getBoundingClientRect();
      const agent = e.querySelector('.agent')!.getBoundingClientRect();
      return { height: e.getBoundingClientRect().height, agentWidth: agent.width, headBottom: head.bottom - e.getBoundingClientRect().top };
    });
    t.equal(Math.round(box.height), 132);
    t.ok(box.agentWidth > 20 && box.headBottom < 40, `the head stays one line with the agent visible (${JSON.stringify(box)})`);
    s.calls.close(chat, 'ended', Date.now());
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="call-tile"]').length === 3);
    t.same(errors, [], 'no script errors');
  });
}
