// The call/leg domain model shared by every pipeline stage.
// A call has legs; each leg is one party's audio channel, so "who spoke" is never guessed.

export type Role = 'customer' | 'agent' | 'mixed' | 'unknown';
export type IngestKind = 'siprec' | 'audio-fork' | 'audiohook' | 'audiosocket' | 'ari' | 'import' | 'conversation';
/**
 * How the customer reached the centre. Bounded: a metric label and a dashboard filter. Audio ingest
 * is always 'voice'; conversations (src/ingest/conversations) carry any of them, 'voice' for calls
 * transcribed elsewhere.
 */
export type Channel = 'voice' | 'chat' | 'wechat' | 'app' | 'email' | 'sms';
export const CHANNELS: readonly Channel[] = ['voice', 'chat', 'wechat', 'app', 'email', 'sms'];
export type CallState = 'active' | 'ended' | 'interrupted';

/**
 * Why a call ended, stored with it (calls.end_reason). Bounded: metrics and the console use it.
 * bye / hangup / close: the source ended it; the others are Earshot's bounds and failures.
 */
export type EndReason =
  | 'bye' // SIP BYE from the SRC
  | 'hangup' // the fork's own end message or a clean websocket close
  | 'connection-lost' // the fork connection dropped without its end message
  | 'protocol-error' // the source broke its protocol; we closed it
  | 'rtp-inactivity' // no RTP on the flowing streams for rtp.inactivitySeconds (a lost BYE)
  | 'fork-idle' // no audio on the fork connection for forks.idleSeconds
  | 'no-ack' // our 200 OK to the INVITE was never acknowledged (RFC 3261 Timer H)
  | 'session-expired' // SIP session timer ran out without a refresh (RFC 4028)
  | 'cancelled'
  | 'shutdown'
  | 'ingest-lost' // cluster: the ingest node carrying the call left the site (docs/cluster.md)
  | 'end-of-file' // an import or demo replay reached the end of its recording
  | 'conversation-end' // the conversation's closing message (end: true)
  | 'conversation-idle'; // no message for conversations.idleMinutes

export interface Participant {
  /** Display name or AOR as the source gave it. Never logged or exported: PII. */
  name?: string;
  aor?: string;
}

export interface LegInfo {
  legId: string;
  callId: string;
  role: Role;
  /** Label from the source (SIPREC a=label, channel index, AudioHook channel name). */
  label: string;
  participant?: Participant;
  codec?: string;
  /** SRTP (SDES) leg: the suite and how many packets failed authentication (a wrong key shows here). */
  srtp?: { suite: string; authFailures: number };
}

export interface CallInfo {
  callId: string;
  ingest: IngestKind;
  /** Source-specific identifier (SIP Call-ID, fork session id, file hash); dedups imports. */
  externalId: string;
  startedAt: number; // epoch ms
  agentId?: string;
  queue?: string;
  /** Salted hash of the caller's number: lets KPIs spot repeat callers without the number. */
  customerHash?: string;
  /** The authenticated ingest source: the fork API key's name, or the SIPREC peer's address. */
  source?: string;
  /** Absent means 'voice' (every audio ingest). */
  channel?: Channel;
}

/** Mono 16-bit PCM of one leg. `tMs` is the leg-relative time of the first sample. */
export interface AudioChunk {
  legId: string;
  samples: Int16Array;
  sampleRate: number;
  tMs: number;
}

export interface Word {
  w: string;
  startMs: number;
  endMs: number;
}

export interface Transcript {
  callId: string;
  legId: string;
  role: Role;
  /** Monotonic per leg; a partial and its final share the same seq. */
  seq: number;
  text: string;
  startMs: number;
  endMs: number;
  final: boolean;
  words?: Word[];
  /** Acoustic features of the segment (from the speech stage) used by voice emotion. */
  prosody?: Prosody;
}

export interface Prosody {
  f0MeanHz: number;
  f0StdHz: number;
  rmsDb: number;
  rmsStdDb: number;
  voicedRatio: number;
}

export type EmotionLabel = 'angry' | 'frustrated' | 'neutral' | 'satisfied';

/** An utterance after analysis: the text here is already redacted. */
export interface Utterance {
  id?: number;
  callId: string;
  legId: string;
  role: Role;
  seq: number;
  text: string;
  lang: 'en' | 'zh' | 'unknown';
  startMs: number;
  endMs: number;
  sentiment: number; // -1..1
  emotion: EmotionLabel;
  emotionConfidence: number;
  categories: string[];
  redactions: number;
}

export type Severity = 'info' | 'warning' | 'critical';
export type AlarmState = 'open' | 'acked' | 'resolved';

export interface Alarm {
  id?: number;
  callId: string;
  rule: string;
  severity: Severity;
  state: AlarmState;
  /** Redacted, human-readable reason; shown in the console, never sent upstream. */
  message: string;
  raisedAt: number;
  evidence?: number[] | string[];
}

export interface CallEvent {
  callId: string;
  legId?: string;
  kind: string; // 'category', 'dtmf', 'hold', 'resume', 'behind-realtime', 'shed', ...
  tMs: number;
  data?: Record<string, unknown>;
}

/** Network and level statistics of one leg, kept with the call. */
export interface LegStats {
  packets?: number;
  lost?: number;
  duplicates?: number;
  late?: number;
  jitterMs?: number;
  mos?: number;
  levelDb?: number;
  clippedRatio?: number;
  /** SRTP legs: packets that failed authentication (dropped). */
  srtpAuthFailures?: number;
  /** SIPREC legs: the rtp.latching mode, whether the leg latched to a source other than its SDP's, and packets dropped from other sources. */
  latching?: 'latch' | 'strict';
  latched?: boolean;
  foreignDropped?: number;
}

/** A partial (not yet final) utterance, already redacted, for the live console only. */
export interface PartialUtterance {
  callId: string;
  legId: string;
  role: Role;
  seq: number;
  text: string;
  startMs: number;
  endMs: number;
}
