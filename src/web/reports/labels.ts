// The report's words in the console's two languages (reports are read outside the console).
export type ReportLang = 'en' | 'zh';

interface Thresholds {
  qaBelow: number;
  negEndShareAtLeast: number;
  alarmsPerCallAtLeast: number;
}

const en = {
  title: { day: 'Daily insight report', week: 'Weekly insight report', month: 'Monthly insight report' },
  generated: 'Generated', comparedWith: 'compared with', vsPrev: 'vs previous', summary: 'Summary',
  calls: 'Calls', aht: 'Avg. handling time', negEnd: 'Negative endings', qa: 'QA average', alarms: 'Alarms', nps: 'NPS',
  categories: 'Top categories', category: 'Category', hits: 'Hits', prevPeriod: 'Previous', change: 'Change', none: 'None in this period.',
  hotSpots: 'Emotion hot spots', hotSpotsNote: 'Share of customer utterances that were angry or frustrated (at least 3 utterances).',
  whenHot: 'When', queue: 'Queue', utterances: 'Utterances', negShare: 'Angry/frustrated',
  npsTitle: 'NPS and its drivers', noSurveys: 'No NPS answers in this period.', responses: 'Answers',
  promoters: 'promoters', passives: 'passives', detractors: 'detractors',
  driversNote: 'NPS of the answered calls that had each trait, against all answered calls (at least 2 answers).',
  driver: 'Driver', impact: 'Impact', negativeEnd: 'Negative ending', alarm: 'Alarm',
  alarmSummary: 'Alarm summary', rule: 'Rule', severity: 'Severity', count: 'Raised', open: 'Open', acked: 'Acknowledged', resolved: 'Resolved',
  sev: { info: 'Info', warning: 'Warning', critical: 'Critical' } as Record<string, string>,
  coach: 'Agents to coach', agent: 'Agent', why: 'Why', exampleCalls: 'Calls that show it',
  reason: { 'low-qa': 'Low QA score', 'negative-endings': 'Negative endings', alarms: 'Many alarms' },
  coachNote: (c: Thresholds) => `Agents with a QA average under ${c.qaBelow}, ${Math.round(c.negEndShareAtLeast * 100)}% or more negative endings, or ${c.alarmsPerCallAtLeast} or more alarms per call. Opening a call shows its transcript (audited).`,
  footer: 'Earshot · figures from redacted call data; times in UTC.',
  channels: 'Channel mix', channel: 'Channel', share: 'Share',
  channelName: { voice: 'Voice', chat: 'Web chat', wechat: 'WeChat', app: 'App messaging', email: 'E-mail', sms: 'SMS' } as Record<string, string>,
};

const zh: typeof en = {
  title: { day: '每日洞察报告', week: '每周洞察报告', month: '每月洞察报告' },
  generated: '生成于', comparedWith: '对比', vsPrev: '较上期', summary: '概要',
  calls: '通话', aht: '平均处理时长', negEnd: '负面结束', qa: '质检平均分', alarms: '告警', nps: 'NPS',
  categories: '热门类别', category: '类别', hits: '命中', prevPeriod: '上期', change: '变化', none: '本期没有。',
  hotSpots: '情绪热点', hotSpotsNote: '客户话语中愤怒或沮丧的比例（至少 3 句话）。',
  whenHot: '时间', queue: '队列', utterances: '话语数', negShare: '愤怒/沮丧',
  npsTitle: 'NPS 及其驱动因素', noSurveys: '本期没有 NPS 回答。', responses: '回答',
  promoters: '推荐者', passives: '被动者', detractors: '贬损者',
  driversNote: '具有各项特征的已回答通话的 NPS，与全部已回答通话对比（至少 2 个回答）。',
  driver: '驱动因素', impact: '影响', negativeEnd: '负面结束', alarm: '告警',
  alarmSummary: '告警汇总', rule: '规则', severity: '严重程度', count: '触发', open: '未处理', acked: '已确认', resolved: '已解决',
  sev: { info: '提示', warning: '警告', critical: '严重' },
  coach: '需辅导的坐席', agent: '坐席', why: '原因', exampleCalls: '佐证通话',
  reason: { 'low-qa': '质检分低', 'negative-endings': '负面结束多', alarms: '告警多' },
  coachNote: (c: Thresholds) => `质检平均分低于 ${c.qaBelow}、负面结束比例不低于 ${Math.round(c.negEndShareAtLeast * 100)}% 或每通话告警不少于 ${c.alarmsPerCallAtLeast} 的坐席。打开通话可查看转写（会记录审计）。`,
  footer: 'Earshot · 数据来自已脱敏的通话；时间为 UTC。',
  channels: '渠道构成', channel: '渠道', share: '占比',
  channelName: { voice: '语音', chat: '网页聊天', wechat: '微信', app: '应用消息', email: '电子邮件', sms: '短信' },
};

export const LABELS: Record<ReportLang, typeof en> = { en, zh };
