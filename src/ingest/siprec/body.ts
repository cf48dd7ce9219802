// Splits a SIPREC request body into its SDP and rs-metadata parts. Tolerant on purpose: SBCs in
// the field send `multipart/mixed;boundary=X` without a space (BroadWorks), bare-LF line endings
// and the legacy `application/rs-metadata` type (AudioCodes), quoted or missing boundary params.
import { EarshotError } from '../../errors.js';

export class BodyError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_SIP_BODY';
  constructor(readonly reason: 'no-boundary' | 'no-parts' | 'content-type') {
    super('EARSHOT_ERR_SIP_BODY', undefined, { message: `bad SIPREC body: ${reason}` });
    this.name = 'BodyError';
  }
}

export interface SiprecBody {
  sdp?: string;
  metadata?: string;
}

/** `type/subtype; a=b; c="d"` → lower-case type and params (param names lower-cased). */
export function parseContentType(value: string): { type: string; params: Record<string, string> } {
  const parts = value.split(';');
  const params: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    params[p.slice(0, eq).trim().toLowerCase()] = v;
  }
  return { type: parts[0].trim().toLowerCase(), params };
}

const isSdp = (t: string) => t === 'application/sdp';
const isMetadata = (t: string) => t === 'application/rs-metadata+xml' || t === 'application/rs-metadata';

export function parseSiprecBody(contentType: string | undefined, body: string): SiprecBody {
  if (!body.trim()) return {};
  const { type, params } = parseContentType(contentType ?? 'application/sdp');
  if (isSdp(type)) return { sdp: body };
  if (isMetadata(type)) return { metadata: body };
  if (!type.startsWith('multipart/')) throw new BodyError('content-type');
  let boundary = params.boundary;
  if (!boundary) {
    // Some SBCs drop the parameter: the first delimiter line tells it.
    const m = /^\s*--([^\r\n]+?)\s*$/m.exec(body);
    if (!m) throw new BodyError('no-boundary');
    boundary = m[1];
  }
  const out: SiprecBody = {};
  const delim = `--${boundary}`;
  const chunks = body.split(delim);
  // chunks[0] is the preamble; a chunk starting with "--" is the close delimiter's epilogue.
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith('--')) break;
    const part = chunk.replace(/^[ \t]*\r?\n/, '');
    const sep = /\r?\n\r?\n/.exec(part);
    let headers: string;
    let content: string;
    if (sep) {
      headers = part.slice(0, sep.index);
      content = part.slice(sep.index + sep[0].length);
    } else {
      headers = part;
      content = '';
    }
    // The CRLF before the next delimiter belongs to the delimiter (RFC 2046).
    content = content.replace(/\r?\n$/, '');
    let ptype = 'text/plain';
    for (const line of headers.split(/\r?\n/)) {
      const m = /^content-type\s*:\s*(.+)$/i.exec(line);
      if (m) ptype = parseContentType(m[1]).type;
    }
    if (isSdp(ptype) && out.sdp === undefined) out.sdp = content;
    else if (isMetadata(ptype) && out.metadata === undefined) out.metadata = content;
  }
  if (out.sdp === undefined && out.metadata === undefined) throw new BodyError('no-parts');
  return out;
}
