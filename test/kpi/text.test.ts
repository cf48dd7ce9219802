import t from 'tap';
import { textKpis } from '../../src/kpi/text.js';

t.test('text KPIs to hand-computed ground truth', async (t) => {
  // c@0, c@5s, bot@6s, agent@66s, c@70s, agent@100s, c@130s (unanswered), end of last at 131 s.
  const k = textKpis([
    { party: 'customer', at: 0 },
    { party: 'customer', at: 5_000 },
    { party: 'bot', at: 6_000 },
    { party: 'agent', at: 66_000 },
    { party: 'customer', at: 70_000 },
    { party: 'agent', at: 100_000 },
    { party: 'customer', at: 130_000, endAt: 131_000 },
  ]);
  t.same(k, {
    messages: { customer: 4, agent: 2, bot: 1 },
    firstResponseMs: 66_000,
    firstReplyMs: 6_000,
    // Turn 1 (0 s and 5 s) was answered by the bot at 6 s, so the agent at 66 s answers no open
    // turn: only the turn 70 s -> 100 s is an agent response; the last turn is never answered.
    avgAgentResponseMs: 30_000,
    maxAgentResponseMs: 30_000,
    agentResponses: 1,
    customerWaitMs: 6_000 + 30_000,
    handleTimeMs: 131_000 - 66_000,
    durationMs: 131_000,
    handover: { atMs: 66_000, botMessages: 1 },
  });
});

t.test('agent-only, customer-only and empty conversations', async (t) => {
  t.match(textKpis([{ party: 'agent', at: 10 }, { party: 'customer', at: 20 }, { party: 'agent', at: 50 }]), { firstResponseMs: 30, avgAgentResponseMs: 30, handover: null, handleTimeMs: 40 });
  t.match(textKpis([{ party: 'customer', at: 10 }]), { firstResponseMs: null, firstReplyMs: null, avgAgentResponseMs: null, handleTimeMs: null, customerWaitMs: 0, durationMs: 0 });
  t.match(textKpis([]), { durationMs: 0, messages: { customer: 0, agent: 0, bot: 0 } });
  // Out of order input is sorted by time first.
  t.match(textKpis([{ party: 'agent', at: 40 }, { party: 'customer', at: 10 }]), { firstResponseMs: 30 });
});
