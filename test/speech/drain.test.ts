// The wait for a call's last transcripts: as long as the recogniser makes progress, cut when it stops.
import t from 'tap';
import { untilDoneOrStalled } from '../../src/speech/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a backlog being worked through is waited for past the stall limit', async (t) => {
  let beats = 0;
  const work = setInterval(() => beats++, 20);
  t.teardown(() => clearInterval(work));
  let finished = false;
  const done = sleep(500).then(() => (finished = true));
  await untilDoneOrStalled(done, () => beats, 120);
  t.ok(finished, 'resolved only when the work was done, 4x the stall limit later');
});

t.test('no progress for the stall limit: rejected with a clear code', async (t) => {
  const never = new Promise<void>(() => {});
  // The stall timer is unref'd (it must not hold a stopping process): keep this one alive meanwhile.
  const alive = setTimeout(() => {}, 5000);
  t.teardown(() => clearTimeout(alive));
  await t.rejects(untilDoneOrStalled(never, () => 7, 100), { code: 'EARSHOT_ERR_ASR_STALLED', message: /no progress/ });
});

t.test('a failed drain fails through', async (t) => {
  await t.rejects(untilDoneOrStalled(Promise.reject(new Error('worker gone')), () => 0, 1000), { message: 'worker gone' });
});
