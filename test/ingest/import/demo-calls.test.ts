// The demo's scenario calls rendered by scripts/make-call.sh with real flite and sox: stereo 16 kHz
// WAVs, customer left and agent right, each a distinct voice pair; a second start reuses them.
import { readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { pino } from 'pino';
import t from 'tap';
import { DEMO_SCENARIOS, demoCalls } from '../../../src/ingest/import/demo-calls.js';

const hasTools = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v flite && command -v sox'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

t.test('renders each scenario once, stereo, both parties speaking; reused on the next start', { skip: !hasTools && 'flite/sox not installed', timeout: 120_000 }, async (t) => {
  const dir = t.testdir();
  const files = await demoCalls(dir, pino({ level: 'silent' }));
  t.equal(files.length, DEMO_SCENARIOS.length);
  t.ok(new Set(DEMO_SCENARIOS.map((s) => `${s.customerVoice}/${s.agentVoice}`)).size >= 3, 'different flite voices');
  for (const f of files) {
    const b = readFileSync(f);
    t.equal(b.toString('latin1', 0, 4), 'RIFF');
    t.equal(b.readUInt16LE(22), 2, 'stereo');
    t.equal(b.readUInt32LE(24), 16000, '16 kHz');
    // Energy per channel over the file: customer (left) and agent (right) both speak.
    const data = b.indexOf('data', 12, 'latin1') + 8;
    const energy = [0, 0];
    for (let i = data; i + 4 <= b.length; i += 4) {
      energy[0] += Math.abs(b.readInt16LE(i));
      energy[1] += Math.abs(b.readInt16LE(i + 2));
    }
    t.ok(energy[0] > 0 && energy[1] > 0, `${f.split('/').pop()}: both channels have speech`);
    const seconds = (b.length - data) / 4 / 16000;
    t.ok(seconds > 15 && seconds < 90, `${seconds.toFixed(1)} s`);
  }
  const mtimes = files.map((f) => statSync(f).mtimeMs);
  t.same(await demoCalls(dir, pino({ level: 'silent' })), files, 'the same files');
  t.same(files.map((f) => statSync(f).mtimeMs), mtimes, 'not rendered again');
});
