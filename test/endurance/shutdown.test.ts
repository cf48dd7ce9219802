// Shutdown with SIPREC calls in flight, one of whose SRCs was SIGKILLed (nobody will answer the BYE
// we send it): `Appliance.close()` must finish within a shutdown budget well inside `serve`'s 30 s
// hard exit and systemd's 45 s stop timeout, with every call closed and the database intact.
// Real appliance in process, real sipp SRCs replaying flite speech, real SQLite file.
import t from 'tap';
import path from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { PipelineBus } from '../../src/call/events.js';
import { CallRegistry } from '../../src/call/registry.js';
import { validateConfig } from '../../src/config/index.js';
import { startAppliance } from '../../src/main.js';
import { freePort } from '../fixtures/sipp/harness.js';
import { conversation, toUlaw8k } from '../../bench/load/audio.js';
import { killAll, running, runSiprecCall, writeTwoLegPcap } from '../../bench/load/sipp.js';
import { LOAD_FORKS } from '../../bench/load/fork-client.js';

/** The bound this test enforces on close(): a stuck shutdown fails it (this is not a speed test). */
const BUDGET_MS = 10_000;
const CALLS = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (pred: () => boolean, what: string, ms: number) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
};

t.test('registry closeAll: a drain that never finishes is cut after the grace, running ones too', async (t) => {
  const bus = new PipelineBus();
  const errors: string[] = [];
  // A recogniser that never finishes a leg: the stand-in for a minute of queued audio.
  const calls = new CallRegistry(bus, 10, { drain: () => new Promise(() => {}), drainTimeoutMs: 600_000, onDrainError: (e) => errors.push(String(e)) });
  const ended: string[] = [];
  bus.on('call.ended', (e) => ended.push(e.state));
  const a = calls.open({ ingest: 'siprec', externalId: 'a' });
  calls.addLeg(a.info.callId, { role: 'agent', label: '1' });
  calls.close(a.info.callId, 'ended'); // a normal end, already draining (for up to 10 minutes)
  calls.open({ ingest: 'siprec', externalId: 'b' });
  calls.open({ ingest: 'audio-fork', externalId: 'c' });
  const outcome = await Promise.race([calls.closeAll('interrupted', 300).then(() => 'done'), sleep(5000).then(() => 'stuck')]);
  t.equal(outcome, 'done', 'closeAll resolved after the grace, not after the drain timeout');
  t.same(ended.sort(), ['ended', 'interrupted', 'interrupted'], 'every call ended, with the state it was closed with');
  t.equal(calls.size, 0);
  t.match(errors, [/shutdown: 3 call\(s\) ended after a 300 ms grace/], 'the cut is reported once');
  calls.open({ ingest: 'siprec', externalId: 'late' });
  await Promise.race([calls.closeAll('interrupted', 300), sleep(5000)]);
  t.equal(ended.length, 4, 'a second closeAll (idempotent shutdown paths) is bounded too');
  t.equal(errors.length, 2, 'and reported once more');
});

t.test(`close() with ${CALLS} SIPREC calls in flight, one SRC dead: within ${BUDGET_MS / 1000} s, every call closed, store intact`, { timeout: 150_000 }, async (t) => {
  const dir = t.testdir();
  const conv = conversation(dir, 40, 1);
  const pcap = path.join(dir, 'conv.pcap');
  writeTwoLegPcap(pcap, toUlaw8k(conv.agent), toUlaw8k(conv.customer));
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 10000);
  const dataDir = path.join(dir, 'data');
  const config = validateConfig({ forks: LOAD_FORKS,
    dataDir,
    http: { host: '127.0.0.1', port: 0 },
    sip: { host: '127.0.0.1', port: await freePort() },
    rtp: { host: '127.0.0.1', portMin: rtpBase, portMax: rtpBase + 200 },
    speech: { workers: 2 },
  });
  const app = await startAppliance(config, { log: pino({ level: 'silent' }) });
  let closing: Promise<void> | undefined;
  t.teardown(async () => {
    killAll();
    await (closing ?? app.close());
  });
  const { bus, calls } = app.pipeline;
  const started = new Set<string>();
  const ended = new Map<string, string>();
  let utterances = 0;
  bus.on('call.started', (c) => started.add(c.callId));
  bus.on('call.ended', (e) => ended.set(e.callId, e.state));
  bus.on('utterance', () => utterances++);

  const target = `127.0.0.1:${app.sip!.udp}`;
  const sipps = Array.from({ length: CALLS }, async (_, i) => {
    await sleep(i * 300);
    return runSiprecCall(dir, `live${i}`, target, { sip: await freePort(), media: await freePort(4) }, { pcap, durationMs: 60_000 });
  });
  await until(() => calls.size === CALLS, `${CALLS} calls up`, 20_000);
  await until(() => utterances >= 2, 'speech recognised on the live calls', 30_000);

  // One SRC dies without a word: our BYE to it will never be answered.
  const victim = [...running].find((c) => c.spawnargs.some((a) => a.endsWith('live0.xml')));
  t.ok(victim?.pid, 'found the SRC to kill');
  const gone = new Promise((r) => victim!.once('exit', r));
  process.kill(victim!.pid!, 'SIGKILL');
  await gone;

  const t0 = performance.now();
  closing = app.close();
  const outcome = await Promise.race([closing.then(() => 'closed' as const), sleep(BUDGET_MS).then(() => 'over budget' as const)]);
  const closeMs = Math.round(performance.now() - t0);
  t.equal(outcome, 'closed', `close() finished within the ${BUDGET_MS / 1000} s shutdown budget (took ${closeMs} ms)`);
  t.comment(`close with ${CALLS} live calls: ${closeMs} ms, ${utterances} utterances by then`);
  await closing;

  t.equal(started.size, CALLS);
  t.equal(ended.size, CALLS, 'call.ended for every call');
  t.same([...new Set(ended.values())], ['interrupted'], 'cut by the shutdown: interrupted');
  const db = new Database(path.join(dataDir, 'earshot.db'), { readonly: true, fileMustExist: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'integrity_check ok');
  const rows = db.prepare('SELECT state, ended_at IS NOT NULL AS closed, (SELECT count(*) FROM legs WHERE call_id = calls.id) AS legs FROM calls').all() as { state: string; closed: number; legs: number }[];
  t.equal(rows.length, CALLS);
  t.same(rows.filter((r) => r.state === 'interrupted' && r.closed && r.legs === 2).length, CALLS, 'every call stored closed, with both legs');
  const stored = (db.prepare('SELECT count(*) AS n FROM utterances').get() as { n: number }).n;
  t.equal(stored, utterances, `every utterance emitted before the end is stored (${stored})`);

  // The surviving SRCs got our BYE (RFC 7866: the SRS may end the session); they are not judged.
  killAll();
  await Promise.all(sipps);
});
