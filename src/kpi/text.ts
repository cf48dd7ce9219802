// KPIs of a typed conversation (chat, messaging, e-mail; also a call transcribed elsewhere), from its
// messages' parties and times. Definitions in docs/channels.md ("Text KPIs").

export interface TextMessage {
  party: 'customer' | 'agent' | 'bot';
  at: number;
  endAt?: number;
}

export interface TextKpis {
  messages: { customer: number; agent: number; bot: number };
  /** First customer message to the first agent (human) message after it; null if none came. */
  firstResponseMs: number | null;
  /** First customer message to the first reply from the centre's side (bot or agent). */
  firstReplyMs: number | null;
  /** Each customer turn answered by an agent: from the turn's first message to the agent's reply. */
  avgAgentResponseMs: number | null;
  maxAgentResponseMs: number | null;
  agentResponses: number;
  /** Sum over customer turns of the time until anyone on the centre's side replied. */
  customerWaitMs: number;
  /** First agent message to the last message of the conversation; null without an agent. */
  handleTimeMs: number | null;
  /** First to last message (end of the last when it has one). */
  durationMs: number;
  /** A bot answered first and an agent took over: when (ms from the start) and after how many bot messages. */
  handover: { atMs: number; botMessages: number } | null;
}

export function textKpis(input: readonly TextMessage[]): TextKpis {
  const msgs = [...input].sort((a, b) => a.at - b.at);
  const count = { customer: 0, agent: 0, bot: 0 };
  for (const m of msgs) count[m.party]++;
  const start = msgs[0]?.at ?? 0;
  const last = msgs.reduce((t, m) => Math.max(t, m.endAt ?? m.at), start);
  const firstCustomer = msgs.find((m) => m.party === 'customer');
  const firstAgent = msgs.find((m) => m.party === 'agent' && (!firstCustomer || m.at >= firstCustomer.at));
  const firstReply = msgs.find((m) => m.party !== 'customer' && firstCustomer && m.at >= firstCustomer.at);

  // Customer turns: a run of customer messages, answered by the next centre-side message.
  const agentWaits: number[] = [];
  let wait = 0;
  let turnStart: number | undefined;
  for (const m of msgs) {
    if (m.party === 'customer') {
      turnStart ??= m.at;
      continue;
    }
    if (turnStart === undefined) continue;
    wait += m.at - turnStart;
    if (m.party === 'agent') agentWaits.push(m.at - turnStart);
    turnStart = undefined;
  }
  const firstAgentAny = msgs.find((m) => m.party === 'agent');
  const botsBefore = firstAgentAny ? msgs.filter((m) => m.party === 'bot' && m.at < firstAgentAny.at).length : 0;
  return {
    messages: count,
    firstResponseMs: firstCustomer && firstAgent ? firstAgent.at - firstCustomer.at : null,
    firstReplyMs: firstCustomer && firstReply ? firstReply.at - firstCustomer.at : null,
    avgAgentResponseMs: agentWaits.length ? Math.round(agentWaits.reduce((a, b) => a + b, 0) / agentWaits.length) : null,
    maxAgentResponseMs: agentWaits.length ? Math.max(...agentWaits) : null,
    agentResponses: agentWaits.length,
    customerWaitMs: wait,
    handleTimeMs: firstAgentAny ? last - firstAgentAny.at : null,
    durationMs: last - start,
    handover: firstAgentAny && botsBefore > 0 ? { atMs: firstAgentAny.at - start, botMessages: botsBefore } : null,
  };
}
