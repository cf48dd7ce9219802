import t from 'tap';
import { accuracy, confusion, detection, perClass, percentile } from '../../bench/understanding-metrics.js';

const L = ['negative', 'neutral', 'positive'] as const;
type P = (typeof L)[number];
const gold: P[] = ['negative', 'negative', 'negative', 'neutral', 'neutral', 'positive'];
const pred: P[] = ['negative', 'neutral', 'negative', 'neutral', 'positive', 'positive'];

t.test('accuracy and confusion matrix (rows gold, columns predicted)', async (t) => {
  t.equal(accuracy(gold, pred), 4 / 6);
  t.same(confusion(gold, pred, L), [
    [2, 1, 0],
    [0, 1, 1],
    [0, 0, 1],
  ]);
  t.throws(() => accuracy(gold, pred.slice(1)), /6 items, predictions 5/);
  t.throws(() => confusion(['angry'], ['neutral'], ['neutral']), /label not in/);
});

t.test('per-class P/R/F1 and macro F1', async (t) => {
  const { classes, macroF1 } = perClass(gold, pred, L);
  t.same(classes.negative, { precision: 1, recall: 2 / 3, f1: 0.8, n: 3, tp: 2, fp: 0, fn: 1 });
  t.equal(classes.neutral.precision, 0.5);
  t.equal(classes.neutral.recall, 0.5);
  t.equal(classes.positive.precision, 0.5);
  t.equal(classes.positive.recall, 1);
  t.equal(Math.round(macroF1 * 1e6) / 1e6, Math.round(((0.8 + 0.5 + 2 / 3) / 3) * 1e6) / 1e6);
  const absent = perClass<P>(['negative'], ['negative'], L);
  t.equal(absent.macroF1, 1, 'classes missing from gold do not drag the macro mean down');
  t.equal(absent.classes.positive.f1, 0, '0/0 is 0, not a perfect score');
});

t.test('multi-label detection per category', async (t) => {
  const g = [['complaint', 'churn'], ['complaint'], [], ['inquiry']];
  const p = [['complaint'], [], ['complaint'], ['inquiry', 'churn']];
  const d = detection(g, p, ['complaint', 'churn', 'inquiry', 'abuse']);
  t.same([d.complaint.tp, d.complaint.fp, d.complaint.fn], [1, 1, 1]);
  t.equal(d.complaint.precision, 0.5);
  t.equal(d.churn.recall, 0);
  t.equal(d.churn.precision, 0);
  t.equal(d.inquiry.f1, 1);
  t.equal(d.abuse.n, 0);
});

t.test('nearest-rank percentiles', async (t) => {
  const v = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  t.equal(percentile(v, 50), 5);
  t.equal(percentile(v, 95), 10);
  t.equal(percentile(v, 0), 1);
  t.equal(percentile([7], 95), 7);
  t.ok(Number.isNaN(percentile([], 50)));
});
