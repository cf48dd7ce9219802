import type { Logger } from 'pino';
import type { Channel } from '../../call/types.js';
import type { ConversationEngine } from './engine.js';

// The demo contact centre's text channels: scripted chats (web chat, WeChat, SMS) typed into the
// conversation engine at a human pace, with the same agents and queues as the demo calls, through
// the same analysis (redaction, categories, sentiment, alarms). Conversation ids start with
// `demo-`, so `earshot demo purge` removes them with the demo calls and no survey is requested.

interface ChatScript {
  channel: Channel;
  lang: 'en' | 'zh';
  lines: ['customer' | 'agent', string][];
}

const CHATS: ChatScript[] = [
  {
    channel: 'chat',
    lang: 'en',
    lines: [
      ['customer', 'Hi, my parcel was supposed to arrive on Monday and it still has not come'],
      ['agent', 'Sorry to hear that, let me check the tracking for you'],
      ['customer', 'This is the second time this happens, I am really annoyed'],
      ['agent', 'I completely understand your frustration. I have sent a replacement by express today'],
      ['customer', 'Ok thanks, that helps'],
      ['agent', 'Is there anything else I can help you with today?'],
    ],
  },
  {
    channel: 'wechat',
    lang: 'zh',
    lines: [
      ['customer', '你好，我的账单这个月扣了两次费'],
      ['agent', '非常抱歉给您带来不便，我马上为您查一下'],
      ['customer', '你们的服务太差了，已经第三次了'],
      ['agent', '已经为您退回多扣的费用，三个工作日内到账'],
      ['customer', '好的，谢谢'],
    ],
  },
  {
    channel: 'sms',
    lang: 'en',
    lines: [
      ['customer', 'I want to cancel my contract, another provider offered me a better price'],
      ['agent', 'I am sorry to hear that. I can offer you a discount for a year'],
      ['customer', 'No thanks, I have decided to leave'],
      ['agent', 'Understood, I have started the cancellation for you'],
    ],
  },
];

const AGENTS = ['agent-gus', 'agent-hui', 'agent-fay'];
const QUEUES = ['support', 'billing', 'sales'];

export interface DemoChats {
  stop(): void;
}

/** One chat at a time per lane, a line every few seconds, the next chat shortly after one ends. */
export function startDemoChats(engine: ConversationEngine, log: Logger, opts: { lanes?: number; lineMs?: number; now?: () => number } = {}): DemoChats {
  const lanes = Math.max(1, opts.lanes ?? 1);
  const lineMs = opts.lineMs ?? 5000;
  const now = opts.now ?? Date.now;
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let n = 0;
  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) f();
    }, ms);
    t.unref();
    timers.add(t);
  };
  const chat = (lane: number) => {
    n++;
    const script = CHATS[(lane + n) % CHATS.length];
    const conversation = `demo-chat-${now()}-${n}`;
    const agent = AGENTS[(lane + n) % AGENTS.length];
    const queue = QUEUES[(lane + n) % QUEUES.length];
    const customer = `demo-chat-customer-${n % 20}`;
    const line = (i: number) => {
      if (i >= script.lines.length) {
        engine.end({ conversation, end: true, at: now() });
        later(lineMs * 2, () => chat(lane));
        return;
      }
      const [role, text] = script.lines[i];
      try {
        const r = engine.accept({ conversation, channel: script.channel, at: now(), role, text, agent, queue, customer, lang: script.lang });
        if (r !== 'accepted' && r !== 'duplicate') log.warn({ reason: r.reason }, 'demo chat line refused');
      } catch (err) {
        // No call slot free: skip this chat, try again later.
        log.warn({ err: (err as Error).message }, 'demo chat not started');
        later(lineMs * 4, () => chat(lane));
        return;
      }
      later(lineMs + Math.floor(Math.random() * lineMs), () => line(i + 1));
    };
    line(0);
  };
  for (let i = 0; i < lanes; i++) later(lineMs / 2 + i * lineMs, () => chat(i));
  log.info({ lanes }, 'demo chats started');
  return {
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
