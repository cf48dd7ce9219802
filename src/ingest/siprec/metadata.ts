// RFC 7865 recording metadata (namespace urn:ietf:params:xml:ns:recording:1): who the participants
// are and which SDP stream (by a=label) each one sends. Accepts the RFC form
// (<participantstreamassoc participant_id=…><send>) and the older draft forms SBCs still send
// (<participant><send>, association ids as child elements). Namespace prefixes are ignored.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { EarshotError } from '../../errors.js';

export const RECORDING_NS = 'urn:ietf:params:xml:ns:recording:1';

export class MetadataError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_RS_METADATA';
  constructor(readonly reason: 'malformed' | 'no-recording' | 'too-large') {
    super('EARSHOT_ERR_RS_METADATA', undefined, { message: `bad rs-metadata: ${reason}` });
    this.name = 'MetadataError';
  }
}

export interface MetaParticipant {
  id: string;
  aor?: string;
  name?: string;
  /** Labels (SDP a=label) of the streams this participant sends. */
  sends: string[];
}

export interface RecordingMetadata {
  /** In document order: the role rule relies on it. */
  participants: MetaParticipant[];
}

const ARRAYS = new Set(['participant', 'stream', 'participantstreamassoc', 'nameID', 'send', 'recv']);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => ARRAYS.has(name),
});

type Node = Record<string, unknown>;
const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const text = (v: unknown): string | undefined => {
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && '#text' in v) return text((v as Node)['#text']);
  return undefined;
};
const attr = (n: Node, key: string): string | undefined => text(n[`@${key}`]) ?? text(n[key]);

export function parseMetadata(xml: string, maxBytes = 256 * 1024): RecordingMetadata {
  if (xml.length > maxBytes) throw new MetadataError('too-large');
  if (XMLValidator.validate(xml) !== true) throw new MetadataError('malformed');
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch {
    throw new MetadataError('malformed');
  }
  const rec = doc.recording;
  if (!rec || typeof rec !== 'object') throw new MetadataError('no-recording');
  const r = rec as Node;

  const labelOfStream = new Map<string, string>();
  for (const s of asArray(r.stream)) {
    if (!s || typeof s !== 'object') continue;
    const id = attr(s as Node, 'stream_id');
    const label = text((s as Node).label);
    if (id && label) labelOfStream.set(id, label);
  }
  const toLabel = (streamId: string) => labelOfStream.get(streamId) ?? streamId;

  const participants: MetaParticipant[] = [];
  const byId = new Map<string, MetaParticipant>();
  for (const p of asArray(r.participant)) {
    if (!p || typeof p !== 'object') continue;
    const n = p as Node;
    const id = attr(n, 'participant_id') ?? `#${participants.length}`;
    const nameId = asArray(n.nameID)[0] as Node | undefined;
    const aor = (nameId && attr(nameId, 'aor')) ?? text(n.aor);
    const name = (nameId && text(nameId.name)) ?? text(n.name);
    const mp: MetaParticipant = { id, aor, name, sends: [] };
    for (const s of asArray(n.send)) {
      const sid = text(s);
      if (sid) mp.sends.push(toLabel(sid));
    }
    participants.push(mp);
    byId.set(id, mp);
  }
  for (const a of asArray(r.participantstreamassoc)) {
    if (!a || typeof a !== 'object') continue;
    const n = a as Node;
    const pid = text(n['@participant_id']) ?? text(asArray(n.participant)[0]);
    const mp = pid ? byId.get(pid) : undefined;
    if (!mp) continue;
    for (const s of asArray(n.send)) {
      const sid = text(s);
      if (sid && !mp.sends.includes(toLabel(sid))) mp.sends.push(toLabel(sid));
    }
  }
  return { participants };
}
