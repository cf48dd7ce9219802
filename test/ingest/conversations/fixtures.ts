// Conversations used by the channel tests, with their ground truth. Times are epoch ms.
export const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
export const CARD_TYPED = '4111-1111-1111-1111';
export const CARD_DIGITS = '4111111111111111';
export const EMAIL = 'wang.fang@example.com';

/** English web chat: bot first, hand-over to an agent, a typed card number, an escalation request. */
export const EN_CHAT = [
  { conversation: 'en-1', channel: 'chat', at: T0, role: 'customer', text: 'Hi, I was charged twice for my order', customer: '+1 555 212 4378', id: 'm1' },
  { conversation: 'en-1', channel: 'chat', at: T0 + 2_000, role: 'bot', text: 'I can help with billing. Connecting you to an agent.', id: 'm2' },
  { conversation: 'en-1', channel: 'chat', at: T0 + 62_000, role: 'agent', text: 'Hello, this is Sam. I am sorry about that, let me check.', agent: 'sam', queue: 'billing', id: 'm3' },
  { conversation: 'en-1', channel: 'chat', at: T0 + 80_000, role: 'customer', text: `My card is ${CARD_TYPED} and my email is ${EMAIL}`, id: 'm4' },
  { conversation: 'en-1', channel: 'chat', at: T0 + 100_000, role: 'agent', text: 'Thank you. Please do not send card numbers in the chat. Is your address still 221B Baker Street?', id: 'm5' },
  { conversation: 'en-1', channel: 'chat', at: T0 + 130_000, role: 'customer', text: 'This is the third time. I want to speak to your supervisor.', id: 'm6' },
  { conversation: 'en-1', channel: 'chat', at: T0 + 170_000, role: 'agent', text: 'I understand. I am transferring you to my supervisor now.', id: 'm7' },
  { conversation: 'en-1', end: true, at: T0 + 180_000 },
];
/** Ground truth for EN_CHAT (see docs/channels.md for the definitions). */
export const EN_KPIS = {
  messages: { customer: 3, agent: 3, bot: 1 },
  firstResponseMs: 62_000, // m1 -> m3
  firstReplyMs: 2_000, // m1 -> m2 (bot)
  // turns: m1 answered by bot (2 s, not an agent response); m4 -> m5 20 s; m6 -> m7 40 s
  avgAgentResponseMs: 30_000,
  maxAgentResponseMs: 40_000,
  agentResponses: 2,
  customerWaitMs: 2_000 + 20_000 + 40_000,
  handleTimeMs: 170_000 - 62_000,
  durationMs: 170_000,
  handover: { atMs: 62_000, botMessages: 1 },
};

/** Chinese WeChat customer service: an escalation request (叫你们领导来) and an ID card number typed. */
export const ZH_CHAT = [
  { conversation: 'zh-1', channel: 'wechat', at: T0 + 1_000, role: 'customer', text: '你好，我的快递三天了还没到', customer: 'wx-openid-oGZUI0egBJY1zhBYw2KhdUfwVJJE', id: 'z1' },
  { conversation: 'zh-1', channel: 'wechat', at: T0 + 31_000, role: 'agent', text: '您好，很抱歉给您带来不便，我帮您查一下，地址是朝阳区建国路88号3栋2单元501室吗', agent: 'li', id: 'z2' },
  { conversation: 'zh-1', channel: 'wechat', at: T0 + 41_000, role: 'customer', text: '我的身份证号是 110101199003074477，电话 13812345678', id: 'z3' },
  { conversation: 'zh-1', channel: 'wechat', at: T0 + 101_000, role: 'customer', text: '太慢了，我要投诉，叫你们领导来', id: 'z4' },
  { conversation: 'zh-1', channel: 'wechat', at: T0 + 111_000, role: 'agent', text: '好的，我马上帮您升级处理', id: 'z5' },
  { conversation: 'zh-1', end: true },
];

/** A call transcribed by the recording system (channel voice, with endAt). */
export const VOICE_CALL = [
  { conversation: 'rec-7', channel: 'voice', at: T0 + 5_000, endAt: T0 + 9_000, role: 'agent', text: 'Thank you for calling, this call is recorded for quality purposes.', agent: '2001' },
  { conversation: 'rec-7', channel: 'voice', at: T0 + 10_000, endAt: T0 + 14_000, role: 'customer', text: 'You people are useless, this is a joke.' },
  { conversation: 'rec-7', channel: 'voice', at: T0 + 15_000, endAt: T0 + 18_000, role: 'agent', text: 'I am sorry to hear that. Let me fix it now.' },
  { conversation: 'rec-7', end: true },
];

export const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** An Amazon Connect chat transcript as Connect stores it (items of the Participant Service). */
export function amazonConnectExport(): unknown {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    Version: '2019-08-26',
    AWSAccountId: '123456789012',
    InstanceId: 'a1b2c3d4-0000-4000-8000-000000000001',
    InitialContactId: 'c0ffee00-0000-4000-8000-000000000042',
    ContactId: 'c0ffee00-0000-4000-8000-000000000042',
    Participants: [{ ParticipantId: 'p-cust' }, { ParticipantId: 'p-agent' }],
    Transcript: [
      { AbsoluteTime: iso(T0), ContentType: 'application/vnd.amazonaws.connect.event.participant.joined', Id: 'e1', Type: 'EVENT', ParticipantId: 'p-cust', DisplayName: 'Customer', ParticipantRole: 'CUSTOMER' },
      { AbsoluteTime: iso(T0 + 1000), Content: 'Hello, my parcel is lost and I am really angry', ContentType: 'text/plain', Id: 'a1', Type: 'MESSAGE', ParticipantId: 'p-cust', DisplayName: 'Jane Roe', ParticipantRole: 'CUSTOMER' },
      { AbsoluteTime: iso(T0 + 3000), Content: 'Thanks for contacting us. An agent will be with you shortly.', ContentType: 'text/plain', Id: 'a2', Type: 'MESSAGE', ParticipantId: 'p-sys', DisplayName: 'SYSTEM_MESSAGE', ParticipantRole: 'SYSTEM' },
      { AbsoluteTime: iso(T0 + 45000), Content: 'Hi Jane, I am sorry about that. Let me look into it.', ContentType: 'text/plain', Id: 'a3', Type: 'MESSAGE', ParticipantId: 'p-agent', DisplayName: 'Alex', ParticipantRole: 'AGENT' },
      { AbsoluteTime: iso(T0 + 60000), Content: 'I want to talk to your manager about this', ContentType: 'text/plain', Id: 'a4', Type: 'MESSAGE', ParticipantId: 'p-cust', DisplayName: 'Jane Roe', ParticipantRole: 'CUSTOMER' },
      { AbsoluteTime: iso(T0 + 61000), ContentType: 'application/vnd.amazonaws.connect.event.typing', Id: 't1', Type: 'EVENT', ParticipantId: 'p-agent', ParticipantRole: 'AGENT' },
      { AbsoluteTime: iso(T0 + 70000), Content: 'Of course, I will transfer you to my supervisor.', ContentType: 'text/plain', Id: 'a5', Type: 'MESSAGE', ParticipantId: 'p-agent', DisplayName: 'Alex', ParticipantRole: 'AGENT' },
      { AbsoluteTime: iso(T0 + 90000), ContentType: 'application/vnd.amazonaws.connect.event.chat.ended', Id: 'e2', Type: 'EVENT', ParticipantRole: 'SYSTEM' },
    ],
  };
}

/** A Genesys Cloud Speech and Text Analytics transcript of a call (phrases with startTimeMs and duration). */
export function genesysExport(): unknown {
  return {
    organizationId: 'org-1',
    conversationId: 'gen-conv-9',
    communicationId: 'comm-1',
    mediaType: 'call',
    startTime: T0,
    transcripts: [
      {
        transcriptId: 'tr-1',
        language: 'en-US',
        phrases: [
          { text: 'thank you for calling how can i help', startTimeMs: T0 + 1000, duration: { milliseconds: 2500 }, participantPurpose: 'internal', phraseIndex: 0 },
          { text: 'i want to cancel my contract you are useless', startTimeMs: T0 + 4000, duration: { milliseconds: 3000 }, participantPurpose: 'external', phraseIndex: 1 },
          { text: 'i am sorry to hear that', startTimeMs: T0 + 8000, duration: { milliseconds: 1500 }, participantPurpose: 'internal', phraseIndex: 2 },
        ],
      },
    ],
  };
}

export const CSV_EXPORT = [
  'conversation,time,role,text,channel',
  `csv-1,${new Date(T0).toISOString()},customer,"Hello, my sms code never arrives",sms`,
  `csv-1,${new Date(T0 + 30_000).toISOString()},agent,"Sorry about that, I will resend it",sms`,
  'csv-1,not-a-time,customer,broken,sms',
  `csv-1,${new Date(T0 + 50_000).toISOString()},customer,"Thanks, got it",sms`,
].join('\n');
