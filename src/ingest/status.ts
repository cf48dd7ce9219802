import type { Config } from '../config/schema.js';
import type { ForkGate } from './fork/gate.js';
import { WS_PROTOCOLS } from './fork/keys.js';

/**
 * Each ingest front's state, for /readyz, the start-up log and the console's banner:
 * - open: takes calls from its configured sources;
 * - local-only: SIPREC with an empty sip.allow (a co-located SBC only);
 * - closed: no credential is configured, so nothing is accepted (the default for forks);
 * - down: configured but unable to take calls (drachtio-server not connected) — /readyz says 503;
 * - off: not configured.
 * `how` says how to open or fix it; it never carries a secret or a file path.
 */
export type FrontState = 'open' | 'local-only' | 'closed' | 'down' | 'off';

export interface FrontStatus {
  ok: boolean;
  state: FrontState;
  detail: string;
  how?: string;
}

export interface IngestFronts {
  sip?: { status(): { ok: boolean; detail: string } };
  gate?: ForkGate;
  audioSocket?: { port: number };
}

const DOC = 'see docs/ingest-security.md';

export function ingestStatus(config: Config, f: IngestFronts): Record<'sip' | 'forks' | 'audiosocket', FrontStatus> {
  return { sip: sipStatus(config, f), forks: forkStatus(config, f), audiosocket: audioSocketStatus(config, f) };
}

function sipStatus(config: Config, f: IngestFronts): FrontStatus {
  if (config.sip.front === 'off' || !f.sip) return { ok: true, state: 'off', detail: 'SIPREC off (sip.front: off)' };
  const s = f.sip.status();
  if (!s.ok) return { ok: false, state: 'down', detail: s.detail, how: `check that drachtio-server runs and sip.drachtio matches it; ${DOC}` };
  if (config.sip.allow.length === 0) {
    return { ok: true, state: 'local-only', detail: `${s.detail}; SIPREC accepted from the local host only (127.0.0.1, ::1)`, how: `list your SBCs' addresses in sip.allow; ${DOC}` };
  }
  return { ok: true, state: 'open', detail: `${s.detail}; SIPREC accepted from the local host and ${config.sip.allow.length} sip.allow entr${config.sip.allow.length === 1 ? 'y' : 'ies'}` };
}

function forkStatus(config: Config, f: IngestFronts): FrontStatus {
  if (!config.forks.enabled || !f.gate) return { ok: true, state: 'off', detail: 'audio forks off (forks.enabled: false)' };
  const open = WS_PROTOCOLS.filter((p) => f.gate!.opens(p));
  const closed = WS_PROTOCOLS.filter((p) => !f.gate!.opens(p));
  if (open.length === 0) {
    return { ok: true, state: 'closed', detail: `audio-fork websockets closed (${closed.join(', ')}): no API key configured`, how: `add a forks.apiKeys entry (earshot ingest key NAME prints one); ${DOC}` };
  }
  const rest = closed.length ? `; closed: ${closed.join(', ')}` : '';
  return { ok: true, state: 'open', detail: `audio-fork websockets open for ${open.join(', ')}${rest}`, ...(closed.length ? { how: `list more protocols in a forks.apiKeys entry; ${DOC}` } : {}) };
}

function audioSocketStatus(config: Config, f: IngestFronts): FrontStatus {
  if (!config.forks.enabled || !f.audioSocket) return { ok: true, state: 'off', detail: 'AudioSocket off (forks.audioSocketPort: 0)' };
  if (!f.gate?.opens('audiosocket')) {
    return { ok: true, state: 'closed', detail: `AudioSocket listening on tcp/${f.audioSocket.port} but closed: no source allowed`, how: `add a forks.apiKeys entry with protocols [audiosocket] and the Asterisk hosts in allow; ${DOC}` };
  }
  return { ok: true, state: 'open', detail: `AudioSocket listening on tcp/${f.audioSocket.port} for the allowed Asterisk hosts` };
}
