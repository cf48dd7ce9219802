// The console's picture of live activity, fed by the live stream; views subscribe to changes.

export class LiveState {
  constructor(live) {
    this.calls = new Map();
    this.alarms = new Map(); // id → alarm, open ones pushed since connect or fetched
    this.listeners = new Set();
    live.on((msg) => this.apply(msg));
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(msg) {
    for (const fn of this.listeners) fn(msg);
  }

  apply(msg) {
    const d = msg.data;
    switch (msg.type) {
      case 'hello':
      case 'resync':
        if (d.active) {
          this.calls = new Map(d.active.map((c) => [c.callId, c]));
        }
        break;
      case 'call.started':
        this.calls.set(d.callId, { ...d, legs: [], emotion: {}, categories: [], openAlarms: 0, ...this.calls.get(d.callId) });
        break;
      case 'call.updated': {
        const c = this.calls.get(d.callId);
        if (c) Object.assign(c, d);
        break;
      }
      case 'leg.added': {
        const c = this.calls.get(d.callId);
        if (c && !c.legs.some((l) => l.legId === d.legId)) c.legs.push({ legId: d.legId, role: d.role });
        break;
      }
      case 'call.ended':
        this.calls.delete(d.callId);
        break;
      case 'utterance': {
        const c = this.calls.get(d.callId);
        if (c) {
          c.emotion[d.role] = { emotion: d.emotion, sentiment: d.sentiment };
          for (const cat of d.categories || []) if (!c.categories.includes(cat)) c.categories.push(cat);
        }
        break;
      }
      case 'call.event': {
        const c = this.calls.get(d.callId);
        const cat = d.data && (d.data.category || d.data.id);
        if (c && cat && !c.categories.includes(cat)) c.categories.push(cat);
        break;
      }
      case 'alarm':
      case 'alarm.updated':
        if (d.id !== undefined) this.alarms.set(d.id, d);
        this.recount(d.callId);
        break;
      default:
        break;
    }
    this.emit(msg);
  }

  /** Open alarms of a call from the alarms known here (the snapshot's count until one is known). */
  recount(callId) {
    const c = this.calls.get(callId);
    if (!c) return;
    const mine = [...this.alarms.values()].filter((a) => a.callId === callId);
    if (!mine.length) return;
    const open = mine.filter((a) => a.state === 'open');
    const rank = { info: 0, warning: 1, critical: 2 };
    c.openAlarms = open.length;
    c.maxSeverity = open.reduce((m, a) => (!m || rank[a.severity] > rank[m] ? a.severity : m), undefined);
  }

  openAlarmCount() {
    return [...this.alarms.values()].filter((a) => a.state === 'open').length;
  }

  seedAlarms(list) {
    for (const a of list) this.alarms.set(a.id, a);
    for (const id of this.calls.keys()) this.recount(id);
    this.emit({ type: 'seeded-alarms' });
  }
}
