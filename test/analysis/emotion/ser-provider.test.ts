// analysis.serProvider through the whole appliance: /readyz and the metrics say where the
// speech-emotion model runs. This host has no GPU and the npm onnxruntime build has no CUDA
// provider libraries, so `cuda` shows the real fallback (no fake); `off` without a model.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { validateConfig } from '../../../src/config/index.js';
import { startAppliance } from '../../../src/main.js';
import { linearModel } from '../onnx-fixture.js';

interface Ready {
  ready: boolean;
  checks: Record<string, { ok: boolean; state?: string; detail: string; code?: string }>;
}

async function appliance(t: Test, analysis: Record<string, unknown>) {
  const dir = t.testdir();
  const W = Array.from({ length: 8 }, () => [0, 0, 0, 0]);
  await writeFile(path.join(dir, 'ser.onnx'), linearModel(W, [0, 0, 1, 0]));
  const model = path.join(dir, String(analysis.serModel ?? ''));
  const config = validateConfig({
    dataDir: path.join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, sip: { front: 'off' }, speech: { workers: 1 },
    analysis: { semantic: { enabled: false }, ...analysis, serModel: analysis.serModel ? model : '' },
  });
  const app = await startAppliance(config, { log: pino({ level: 'silent' }) });
  t.teardown(() => app.close());
  const r = await fetch(`${app.url}/readyz`);
  return { status: r.status, body: (await r.json()) as Ready, metrics: await (await fetch(`${app.url}/metrics`)).text() };
}

t.test('serProvider cuda without the CUDA provider: runs on cpu, readyz says why, still ready', { timeout: 120_000 }, async (t) => {
  const r = await appliance(t, { serModel: 'ser.onnx', serProvider: 'cuda' });
  t.equal(r.status, 200);
  t.same([r.body.checks.ser.ok, r.body.checks.ser.state, r.body.checks.ser.code], [true, 'cpu', 'EARSHOT_ERR_GPU_UNAVAILABLE']);
  t.match(r.body.checks.ser.detail, /serProvider cuda unusable/);
  t.match(r.metrics, /earshot_analysis_ser\{provider="cpu"\} 1/);
});

t.test('serProvider cpu, a missing model, and no model', { timeout: 120_000 }, async (t) => {
  let r = await appliance(t, { serModel: 'ser.onnx' });
  t.same([r.body.checks.ser.state, r.body.checks.ser.code], ['cpu', undefined]);
  r = await appliance(t, { serModel: 'missing.onnx' });
  t.same([r.status, r.body.checks.ser.ok, r.body.checks.ser.state, r.body.checks.ser.code], [200, true, 'failed', 'EARSHOT_ERR_MODEL_MISSING'], 'a broken model is said, rules fuse emotion');
  r = await appliance(t, {});
  t.equal(r.body.checks.ser.state, 'off');
  t.notMatch(r.metrics, /earshot_analysis_ser\{/);
});
