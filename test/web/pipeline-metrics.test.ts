import { execFileSync } from 'node:child_process';
import t from 'tap';
import { PipelineBus } from '../../src/call/events.js';
import { CallRegistry } from '../../src/call/registry.js';
import { attachPipelineMetrics } from '../../src/metrics/pipeline-metrics.js';
import { createMetrics } from '../../src/metrics/registry.js';

t.test('counts calls, utterances, alarms and events with bounded labels only', async (t) => {
  const bus = new PipelineBus();
  const calls = new CallRegistry(bus, 10);
  const metrics = createMetrics({ defaults: false });
  const detach = attachPipelineMetrics(bus, metrics);
  const a = calls.open({ ingest: 'siprec', externalId: '+15551234567', agentId: 'alice' });
  const b = calls.open({ ingest: 'import', externalId: 'file' });
  calls.open({ ingest: 'siprec', externalId: 'other' });
  const leg = calls.addLeg(a.info.callId, { role: 'customer', label: '0', participant: { aor: 'sip:+15551234567@x' } });
  bus.emit('utterance', {
    callId: a.info.callId, legId: leg.legId, role: 'customer', seq: 1, text: 'my card number is', lang: 'en',
    startMs: 0, endMs: 1, sentiment: 0, emotion: 'neutral', emotionConfidence: 0.5, categories: [], redactions: 1,
  });
  bus.emit('alarm', { callId: a.info.callId, rule: 'anger', severity: 'critical', state: 'open', message: 'x', raisedAt: 1 });
  bus.emit('alarm', { callId: a.info.callId, rule: 'bad rule name with spaces', severity: 'info', state: 'open', message: 'x', raisedAt: 1 });
  bus.emit('call.event', { callId: a.info.callId, kind: 'category', tMs: 1 });
  bus.emit('call.event', { callId: a.info.callId, kind: 'something-new', tMs: 1 });
  calls.close(a.info.callId, 'ended');
  calls.close(b.info.callId, 'interrupted');
  bus.emit('call.ended', { callId: b.info.callId, state: 'ended', endedAt: 1 }); // duplicate end is ignored

  const text = await metrics.registry.metrics();
  t.match(text, /earshot_calls_active\{ingest="siprec"\} 1/);
  t.match(text, /earshot_calls_active\{ingest="import"\} 0/);
  t.match(text, /earshot_calls_total\{ingest="siprec",outcome="ended"\} 1/);
  t.match(text, /earshot_calls_total\{ingest="import",outcome="interrupted"\} 1/);
  t.notMatch(text, /earshot_calls_total\{ingest="import",outcome="ended"\}/);
  t.match(text, /earshot_utterances_total\{role="customer"\} 1/);
  t.match(text, /earshot_alarms_total\{rule="anger",severity="critical"\} 1/);
  t.match(text, /earshot_alarms_total\{rule="invalid",severity="info"\} 1/);
  t.match(text, /earshot_call_events_total\{kind="other"\} 1/);
  t.notMatch(text, /5551234567|alice|card/, 'no PII in any label');
  execFileSync('promtool', ['check', 'metrics'], { input: text, timeout: 20_000 });

  detach();
  bus.emit('utterance', { callId: 'z', legId: 'z', role: 'agent', seq: 1, text: '', lang: 'en', startMs: 0, endMs: 1, sentiment: 0, emotion: 'neutral', emotionConfidence: 0, categories: [], redactions: 0 });
  t.notMatch(await metrics.registry.metrics(), /role="agent"/, 'detached listeners count nothing');
});
