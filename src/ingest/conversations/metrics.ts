import { Counter, type Registry } from 'prom-client';
import type { Channel } from '../../call/types.js';
import type { Party } from '../../store/repos/index.js';
import type { RejectReason } from './parse.js';

export interface ConversationMetrics {
  message(channel: Channel, party: Party): void;
  duplicate(channel: Channel): void;
  rejected(reason: RejectReason): void;
  ended(channel: Channel, reason: 'end' | 'idle' | 'import-idle'): void;
}

/** Bounded labels only: channel and party are enums, reason is RejectReason; no ids, no text. */
export function conversationMetrics(registry: Registry): ConversationMetrics {
  const get = <T extends string>(name: string, help: string, labelNames: T[]): Counter<T> =>
    (registry.getSingleMetric(name) as Counter<T> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
  const messages = get('earshot_conversation_messages_total', 'Conversation messages analysed, by channel and party', ['channel', 'party']);
  const dups = get('earshot_conversation_duplicates_total', 'Conversation messages skipped as already stored (same message id or content)', ['channel']);
  const rejected = get('earshot_conversation_lines_rejected_total', 'Conversation lines and messages rejected, by reason', ['reason']);
  const ended = get('earshot_conversations_ended_total', 'Conversations ended, by channel and how', ['channel', 'reason']);
  return {
    message: (channel, party) => messages.inc({ channel, party }),
    duplicate: (channel) => dups.inc({ channel }),
    rejected: (reason) => rejected.inc({ reason }),
    ended: (channel, reason) => ended.inc({ channel, reason }),
  };
}
