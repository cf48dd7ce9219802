// Real recognition workers (pocketsphinx), killed through the pool's own crash hook: a slot whose
// workers keep dying after start-up is retired instead of restarted for ever. The crash window
// runs on an injected clock, so no test waits ten minutes.
import t from 'tap';
import { validateConfig } from '../../src/config/index.js';
import { createWorkerPool, type PoolEvents } from '../../src/speech/pool.js';

const speech = validateConfig({}).speech;
const init = { engine: { kind: 'pocketsphinx' as const, ...speech.pocketsphinx }, vad: speech.vad };

function events() {
  const retired: [number, number][] = [];
  let restarts = 0;
  const ev: PoolEvents = {
    transcript() {},
    speech() {},
    stats() {},
    legError() {},
    restarted: () => void restarts++,
    retired: (i, n) => void retired.push([i, n]),
  };
  return { ev, retired, restarts: () => restarts };
}

t.test('a worker that keeps crashing after start-up is retired and its leg moves on', async (t) => {
  let clock = 0;
  const e = events();
  const pool = createWorkerPool(2, init, e.ev, { now: () => clock });
  t.teardown(() => pool.close());
  await pool.ready();
  pool.open('leg-a');
  const slot = pool.leg('leg-a')!.slot as unknown as { index: number };
  for (let i = 0; i < 5; i++) {
    clock += 1000;
    await pool.ready(); // each replacement has started up (loaded its engine) before it dies
    await pool.killWorker(slot.index);
  }
  t.equal(e.restarts(), 5, 'every death told the stage');
  t.same(e.retired, [[slot.index, 5]], 'the fifth death within the window retires the slot');
  t.equal(pool.alive, 1, 'one worker left');
  const moved = pool.leg('leg-a')!.slot as unknown as { index: number };
  t.not(moved.index, slot.index, 'the leg went to the other worker');
  await pool.killWorker(slot.index);
  t.equal(e.restarts(), 5, 'a retired slot is not restarted');
});

t.test('crashes far apart are restarted every time', async (t) => {
  let clock = 0;
  const e = events();
  const pool = createWorkerPool(1, init, e.ev, { now: () => clock });
  t.teardown(() => pool.close());
  await pool.ready();
  for (let i = 0; i < 6; i++) {
    clock += 3 * 60_000; // under five deaths in any ten minutes
    await pool.killWorker(0);
  }
  t.equal(e.restarts(), 6);
  t.same(e.retired, []);
  t.equal(pool.alive, 1);
  await pool.ready();
});
