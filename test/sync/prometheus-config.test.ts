import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

// Real promtool (Debian package 'prometheus', listed in scripts/debian-packages.txt).
const DIR = fileURLToPath(new URL('../../config/prometheus/', import.meta.url));
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function promtool(t: { teardown(fn: () => void): void }, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { cwd: DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    t.teardown(() => {
      clearTimeout(timer);
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

t.test('the example scrape config is valid and loads the alert rules', async (t) => {
  const r = await promtool(t, ['check', 'config', 'earshot-scrape.yml']);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /1 rule files found/);
});

t.test('the alert rules are valid', async (t) => {
  const r = await promtool(t, ['check', 'rules', 'earshot-alerts.yml']);
  t.equal(r.code, 0, r.out);
  for (const name of ['EarshotDown', 'EarshotLegsBehindRealtime', 'EarshotRtpLossHigh', 'EarshotWebhookOutboxGrowing', 'EarshotSyncLagging', 'EarshotDiskLow', 'EarshotDatabaseLarge']) {
    t.match(readFileSync(join(DIR, 'earshot-alerts.yml'), 'utf8'), `alert: ${name}\n`, name);
  }
});

t.test('the alerts fire (and stay quiet) as their unit tests expect', async (t) => {
  const r = await promtool(t, ['test', 'rules', 'earshot-alerts.test.yml']);
  t.equal(r.code, 0, r.out);
});

t.test('every earshot_* metric the alerts use is declared in src/', async (t) => {
  const declared = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.ts')) for (const m of readFileSync(join(dir, e.name), 'utf8').matchAll(/name: '(earshot_[a-z0-9_]+)'/g)) declared.add(m[1]);
    }
  };
  walk(SRC);
  const used = new Set([...readFileSync(join(DIR, 'earshot-alerts.yml'), 'utf8').matchAll(/\b(earshot_[a-z0-9_]+)/g)].map((m) => m[1]));
  t.ok(used.size >= 8);
  t.same([...used].filter((n) => !declared.has(n)), [], 'no alert on a metric nobody exports');
});
