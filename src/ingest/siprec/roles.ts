// Which recorded stream is the customer and which the agent. The rule, in order:
//  1. A stream sent by several participants, or the only stream of the session, is `mixed`
//     (Metaswitch-style single m-line recording both parties).
//  2. With metadata, a participant whose AOR user part matches the internal-extension pattern is
//     an agent; one that does not is a customer. If that does not split them (both or neither
//     match), the first participant in document order is the customer (SBCs list the calling
//     party first; for inbound contact-centre traffic that is the customer) and the rest agents.
//  3. Without metadata (or streams it does not mention), by m-line order: the first is customer,
//     the second agent, further ones unknown.
import type { Participant, Role } from '../../call/types.js';
import type { RecordingMetadata } from './metadata.js';

/** Default internal-extension pattern: a 2–6 digit user part (`sip:1001@pbx`). */
export const DEFAULT_AGENT_PATTERN = /^(?:sips?:|tel:)?\d{2,6}(?:@|$)/i;

export interface StreamRole {
  role: Role;
  participant?: Participant;
}

export function assignRoles(labels: string[], meta: RecordingMetadata | undefined, agentPattern: RegExp = DEFAULT_AGENT_PATTERN): Map<string, StreamRole> {
  const out = new Map<string, StreamRole>();
  const positional = (i: number): Role => (i === 0 ? 'customer' : i === 1 ? 'agent' : 'unknown');
  if (labels.length === 1 && (!meta || meta.participants.length !== 1)) {
    // One stream carrying everyone (or with no say who): mixed.
    out.set(labels[0], { role: 'mixed', participant: undefined });
    return out;
  }
  const ps = meta?.participants ?? [];
  const isAgent = ps.map((p) => (p.aor ? agentPattern.test(p.aor) : false));
  const split = isAgent.some(Boolean) && !isAgent.every(Boolean);
  const roleOf = (i: number): Role => (split ? (isAgent[i] ? 'agent' : 'customer') : i === 0 ? 'customer' : 'agent');
  labels.forEach((label, i) => {
    const senders = ps.map((p, k) => ({ p, k })).filter(({ p }) => p.sends.includes(label));
    if (senders.length > 1) {
      out.set(label, { role: 'mixed' });
    } else if (senders.length === 1) {
      const { p, k } = senders[0];
      out.set(label, { role: roleOf(k), participant: { aor: p.aor, name: p.name } });
    } else {
      out.set(label, { role: positional(i) });
    }
  });
  return out;
}
