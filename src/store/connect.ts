import type { PipelineBus } from '../call/events.js';
import type { Store } from './types.js';

/**
 * Persists the pipeline's call lifecycle, legs, stats, utterances and events from the bus.
 * Alarms are not taken from here: the alarm stage writes them itself (it needs the row back).
 *
 * The utterance id assigned by the store is set on the emitted object (`u.id`) when it has none, so
 * listeners registered after this one (kpi, alarms, web) see it: connect the store first.
 * Returns a function that unsubscribes everything.
 */
export function connectStore(store: Store, bus: PipelineBus): () => void {
  const offs = [
    bus.on('call.started', (c) => store.upsertCall(c)),
    bus.on('call.updated', (c) => store.upsertCall(c)),
    bus.on('leg.added', (l) => store.addLeg(l)),
    bus.on('leg.stats', (s) => store.setLegStats(s.legId, s.stats)),
    bus.on('utterance', (u) => {
      const id = store.addUtterance(u);
      if (u.id === undefined && id > 0) u.id = id;
    }),
    bus.on('call.event', (e) => {
      store.addCallEvent(e);
    }),
    bus.on('call.ended', (e) => store.endCall(e.callId, e.state, e.endedAt, undefined, e.reason)),
  ];
  return () => offs.forEach((off) => off());
}
