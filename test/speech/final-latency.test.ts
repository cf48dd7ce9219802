import t from 'tap';
import { FinalLatency } from '../../src/speech/final-latency.js';

t.test('a segment without words does not shift later finals onto earlier close times', async (t) => {
  const q = new FinalLatency();
  q.closed('a', 0, 1000);
  q.closed('a', 1, 2000); // a cough: closes, never gets a final
  q.closed('a', 2, 3000);
  t.equal(q.final('a', 0, 1100), 100);
  // By order alone this final would be charged from 2000 (segment 1) and report 1250 ms.
  t.equal(q.final('a', 2, 3250), 250, 'segment 2 is paired with its own close');
  t.equal(q.pending, 0, 'the wordless segment is dropped, not left to drift');
  t.equal(q.final('a', 3, 4000), undefined, 'a final whose close was not seen is not measured');
});

t.test('legs are apart; a reset (worker restart) starts the numbering again; the queue is bounded', async (t) => {
  const q = new FinalLatency();
  q.closed('a', 5, 100);
  q.closed('b', 0, 200);
  q.reset('a');
  q.closed('a', 0, 300);
  t.equal(q.final('a', 0, 350), 50, "after a restart seq 0 is the new worker's segment");
  t.equal(q.final('b', 0, 260), 60);
  for (let i = 0; i < 1000; i++) q.closed('c', i, i);
  t.equal(q.pending, 64, 'closes without finals are capped per leg');
});
