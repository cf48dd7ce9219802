// Recognition worker thread: one engine (one pocketsphinx decoder or one sherpa model), one Silero
// session, many legs. Messages are handled in arrival order; the Recognizer serialises the work.
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine } from './engines/index.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { Recognizer } from './recognizer.js';
import { SileroVad } from './vad.js';

const PROGRESS_MS = 100; // progress reports are coalesced: one message per 100 ms, not per frame

const port = parentPort;
if (!port) throw new Error('speech worker must run in a worker thread');
const init = workerData as WorkerInit;
const send = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

function codeOf(err: unknown): string {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'string' ? c : 'EARSHOT_ERR_ASR';
}

const moved = new Set<string>();
let progressTimer: NodeJS.Timeout | undefined;

const recognizerP = (async () => {
  const [engine, vad] = await Promise.all([createEngine(init.engine), SileroVad.load()]);
  const rec = new Recognizer(engine, vad, init.vad, {
    transcript: (legId, tr, timing) => send({ t: 'tr', legId, tr, timing }),
    speech: (legId, startMs, endMs, seq) => send({ t: 'speech', legId, startMs, endMs, seq }),
    stats: (legId, stats) => send({ t: 'stats', legId, stats }),
    error: (legId, err) => send({ t: 'err', legId, code: codeOf(err), message: err instanceof Error ? err.message : String(err) }),
  });
  send({ t: 'ready', engine: engine.name, detail: engine.detail });
  return rec;
})();

recognizerP.catch((err: unknown) => {
  send({ t: 'fatal', code: codeOf(err), message: err instanceof Error ? err.message : String(err) });
  port.close(); // nothing left to do: let the thread end
});

function reportProgress(rec: Recognizer): void {
  progressTimer = undefined;
  const legs: Array<[string, number, number]> = [];
  for (const legId of moved) {
    const p = rec.progress(legId);
    if (p) legs.push([legId, p.vadSec, p.doneSec]);
  }
  moved.clear();
  if (legs.length) send({ t: 'progress', legs });
}

function touched(rec: Recognizer, legId: string): void {
  moved.add(legId);
  progressTimer ??= setTimeout(() => reportProgress(rec), PROGRESS_MS);
}

port.on('message', (m: ToWorker) => {
  void recognizerP.then(
    (rec) => {
      switch (m.t) {
        case 'open':
          rec.open(m.legId);
          break;
        case 'audio':
          void rec.audio(m.legId, m.samples, m.rate, m.tMs).then(() => touched(rec, m.legId));
          break;
        case 'end':
          void rec.end(m.legId).then(() => send({ t: 'ended', id: m.id }));
          break;
        case 'crash':
          // Exit between jobs: ending the thread while an onnxruntime run is in flight aborts the
          // whole process from native code, which is not the fault being simulated.
          void rec.idle().then(() => process.exit(70));
          break;
        case 'close':
          void rec.close().then(() => {
            send({ t: 'closed' });
            port.close();
          });
          break;
      }
    },
    () => {
      // Init failed: 'fatal' was sent; the pool replaces or retires this worker.
    },
  );
});
