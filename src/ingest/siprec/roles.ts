// Which recorded stream is the customer and which the agent. The rule, in order:
//  1. A stream sent by several participants, or the only stream of the session, is `mixed`
//     (Metaswitch-style single m-line recording both parties).
//  2. With metadata, a participant whose AOR user part matches the internal-extension pattern is
//     an agent; one that does not is a customer. If that does not split them (both or neither
//     match), the first participant in document order is the customer (SBCs list the calling
//     party first; for inbound contact-centre traffic that is the customer) and the rest agents.
//     Sites whose SBC marks agents otherwise add rules (sip.roles): a participant name pattern and
//     stream labels that carry the agent; a participant is an agent by AOR, else by name, else by
//     the label it sends.
//  3. Without metadata (or streams it does not mention): a label in sip.roles.agentLabels is the
//     agent and the others customers; else by m-line order: the first is customer, the second
//     agent, further ones unknown.
// Each stream says which rule decided (`by`): `order` is the fallback, reported on the call.
import type { Participant, Role } from '../../call/types.js';
import type { RecordingMetadata } from './metadata.js';

/** Default internal-extension pattern: a 2–6 digit user part (`sip:1001@pbx`). */
export const DEFAULT_AGENT_PATTERN = /^(?:sips?:|tel:)?\d{2,6}(?:@|$)/i;

/** Which rule gave a stream its role; `order` is the document / m-line order fallback. */
export type RoleBasis = 'aor' | 'name' | 'label' | 'order' | 'mixed';

export interface StreamRole {
  role: Role;
  participant?: Participant;
  by?: RoleBasis;
}

/** A site's rules for spotting the agent (sip.agentPattern and sip.roles). */
export interface RoleRules {
  agentAor: RegExp;
  agentName?: RegExp;
  agentLabels?: ReadonlySet<string>;
}

export function assignRoles(labels: string[], meta: RecordingMetadata | undefined, rules: RegExp | RoleRules = DEFAULT_AGENT_PATTERN): Map<string, StreamRole> {
  const r: RoleRules = rules instanceof RegExp ? { agentAor: rules } : rules;
  const out = new Map<string, StreamRole>();
  const positional = (i: number): Role => (i === 0 ? 'customer' : i === 1 ? 'agent' : 'unknown');
  if (labels.length === 1 && (!meta || meta.participants.length !== 1)) {
    // One stream carrying everyone (or with no say who): mixed.
    out.set(labels[0], { role: 'mixed', participant: undefined, by: 'mixed' });
    return out;
  }
  const ps = meta?.participants ?? [];
  const agentBy = ps.map((p): RoleBasis | undefined => {
    if (p.aor && r.agentAor.test(p.aor)) return 'aor';
    if (p.name && r.agentName?.test(p.name)) return 'name';
    if (r.agentLabels && p.sends.some((l) => r.agentLabels!.has(l))) return 'label';
    return undefined;
  });
  const split = agentBy.some(Boolean) && !agentBy.every(Boolean);
  // With a split, the customer's basis is the agent's (it is "the other one" by the same rule).
  const splitBy = agentBy.find(Boolean) ?? 'order';
  const labelled = r.agentLabels?.size ? labels.some((l) => r.agentLabels!.has(l)) && !labels.every((l) => r.agentLabels!.has(l)) : false;
  const byLabel = (label: string): StreamRole => ({ role: r.agentLabels!.has(label) ? 'agent' : 'customer', by: 'label' });
  labels.forEach((label, i) => {
    const senders = ps.map((p, k) => ({ p, k })).filter(({ p }) => p.sends.includes(label));
    if (senders.length > 1) {
      out.set(label, { role: 'mixed', by: 'mixed' });
    } else if (senders.length === 1) {
      const { p, k } = senders[0];
      const participant = { aor: p.aor, name: p.name };
      if (split) out.set(label, { role: agentBy[k] ? 'agent' : 'customer', participant, by: splitBy });
      else if (labelled) out.set(label, { ...byLabel(label), participant });
      else out.set(label, { role: k === 0 ? 'customer' : 'agent', participant, by: 'order' });
    } else {
      out.set(label, labelled ? byLabel(label) : { role: positional(i), by: 'order' });
    }
  });
  return out;
}
