// Tone words: what separates anger from frustration in the words themselves. Sentiment says how
// negative an utterance is; it does not say whether the caller is hostile ("this is a joke you
// lot are thieves", 气死我了, 太过分了) or worn down ("i'm fed up", 烦死了, 折腾了好几次). Kept here,
// beside the fusion that uses them, and not in the sentiment lexicons, which score valence only.
import { anyPhrase, compilePhrases, findPhrases, normaliseText, type PhraseSet } from '../rules/phrases.js';

export type Tone = 'anger' | 'weary' | 'pleased';

/** Hostility, outrage, threats and demands: angry even when the sentiment score is mild. */
export const ANGER_CUES: readonly string[] = [
  // outrage
  'ridiculous', 'unbelievable', 'outrageous', 'disgusting', 'disgraceful', 'a disgrace', 'appalling', 'absurd',
  'pathetic', 'shocking', 'insane', 'a joke', 'an absolute joke', 'a complete joke', 'a farce', 'a scandal', 'scandalous',
  'how dare', 'dare you', 'are you kidding', 'you must be joking', 'you have got to be kidding', 'what the hell', 'the hell',
  'for god sake', "for god's sake", 'bloody', 'damn', 'furious', 'livid', 'fuming', 'i am angry', "i'm angry", 'so angry',
  'really angry', 'mad at', 'the worst', 'never been treated',
  // accusations
  'thieves', 'thief', 'theft', 'stealing', 'steal my', 'stole', 'robbing', 'robbery', 'daylight robbery', 'rip off', 'ripoff',
  'ripped me off', 'scam', 'scammers', 'scamming', 'crooks', 'con artists', 'cowboys', 'liars', 'lying to me', 'you lied',
  'incompetent', 'clueless', 'are useless', 're useless', 'absolutely useless', 'completely useless', 'totally useless',
  'useless company', 'useless service', 'a shambles', 'shambolic',
  // threats and ultimatums
  // (an ombudsman or regulator named evenly is an escalation: frustration, see the grievance categories)
  'lawyer', 'solicitor', 'sue you', 'suing', 'take you to court', 'legal action', 'report you', 'reporting you', 'social media',
  'the press', 'the newspapers', 'i am done with', "i'm done with",
  "i'm done", 'i am done', 'i am finished with', "i'm finished with", 'stick your', 'shove your',
  // demands
  'right now', 'i want it now', 'this instant', 'immediately', 'get me your', 'put me through',
  // 中文: 愤怒、指责、威胁、命令
  '气死', '气死我了', '气死人', '太过分', '过分了', '岂有此理', '什么玩意', '搞什么', '搞什么鬼', '骗子', '骗人', '坑人', '黑心',
  '欺诈', '诈骗', '抢钱', '强盗', '无耻', '不要脸', '恶心', '混蛋', '垃圾', '废物', '有病', '闭嘴', '滚', '干什么吃的', '离谱',
  '欺负人', '忍无可忍', '简直', '到底想怎么样', '你们到底', '告你们', '起诉', '律师', '法院', '曝光', '媒体', '消协', '12315',
  '工信部', '银保监', '马上给我', '立刻给我', '现在就给我', '现在马上', '叫你们领导', '让你们领导', '出来说话', '我受够你们',
  '态度这么差', '什么态度', '投诉你', '骗钱', '傻', '脑子有问题', '脑子进水', '饭桶', '吸血鬼', '哑巴', '听不懂人话', '他妈', '妈的',
  '记者', '市长热线', '12345', '倒闭', '没良心', '良心都没有', '不把病人当人', '别跟我说', '别跟我扯', '不跟你说了', '不跟你扯',
  '小客服',
];

/** Worn down, fed up, repeated failure: frustrated, not hostile. */
export const WEARY_CUES: readonly string[] = [
  'fed up', 'tired of', 'sick and tired', 'sick of', 'had enough', 'exhausted', 'frustrating', 'frustrated', 'annoying',
  'annoyed', 'not again', 'yet again', 'every single time', 'every time i', 'keep getting', 'keep telling', 'keep asking',
  'keeps happening', 'keep giving', 'keeps cutting', 'keeps dropping', 'still not', 'still no', 'still waiting', 'still havent',
  "still haven't", 'still hasnt', "still hasn't", 'still doesnt', "still doesn't", 'still isnt', "still isn't", 'still cant',
  "still can't", 'still wont', "still won't", 'still dont', "still don't",
  'third time', 'fourth time', 'fifth time', 'so many times', 'waste of time', 'wasted my', 'going round in circles',
  'going around in circles', 'nobody', 'no one ever', 'give up', 'losing patience', 'at my wits end', "at my wit's end",
  'honestly', 'seriously',
  // 中文
  '烦死', '烦死了', '好烦', '真烦', '受够了', '无语', '算了', '累了', '折腾', '每次都', '老是', '总是这样', '没完没了', '又是',
  '还是没', '还没', '一直没', '到现在还', '到现在都', '到现在也', '好几次', '好几遍', '多少次', '等了半天', '白跑', '浪费时间',
  '没人管', '没人理', '没人上门', '没人来', '凭什么', '莫名其妙', '说好的', '转来转去', '推来推去', '来回跑', '打不进', '打不开',
  '根本没', '可真', '真是服了', '服了你们',
];

/** Pleasure at a result ("good news", "all sorted", 很高兴): what tells an agent's satisfaction from politeness. */
export const PLEASED_CUES: readonly string[] = [
  'good news', 'great news', 'glad', 'pleased', 'a pleasure', 'my pleasure', 'welcome', 'lovely', 'brilliant', 'wonderful',
  'fantastic', 'all sorted', 'all done', 'all set', 'sorted for you', 'enjoy', 'happy to', 'delighted', 'thrilled',
  'has gone through', 'has been approved', 'booked in', 'good to hear',
  // (很高兴为您服务 is the greeting formula, not pleasure: only 很高兴能…)
  '很高兴能', '帮到您', '不客气', '好消息', '恭喜', '办好了', '处理好了', '搞定了', '解决了', '已经帮您', '已经给您', '审核通过',
  '成功了', '已经修复', '全额退', '已经到账', '荣幸', '太好了', '满意', '挺好', '很好', '不错', '划算', '感动', '没得说', '点赞',
  '表扬', '给力', '靠谱',
];

const NEGATORS_EN = new Set(['not', 'no', 'never', "isn't", 'isnt', "wasn't", 'wasnt', "aren't", 'arent', "don't", 'dont', "didn't", 'didnt']);

let compiled: { anger: PhraseSet; weary: PhraseSet; pleased: PhraseSet } | undefined;
function sets() {
  return (compiled ??= { anger: compilePhrases([...ANGER_CUES]), weary: compilePhrases([...WEARY_CUES]), pleased: compilePhrases([...PLEASED_CUES]) });
}

/** True when a cue occurs that is not negated ("not ridiculous", 不过分). */
function present(set: PhraseSet, norm: string): boolean {
  if (!anyPhrase(set, norm)) return false;
  for (const s of findPhrases(set, norm)) {
    const before = norm.slice(Math.max(0, s.start - 20), s.start);
    const prev = before.trim().split(' ').slice(-2);
    // 不过分 / 没骗人 negate; 是不是骗子 ("are you crooks") asks, it does not.
    const zhNeg = /[不没别][是太]?$/u.test(before) && !/是不是$/u.test(before);
    if (!prev.some((w) => NEGATORS_EN.has(w)) && !zhNeg) return true;
  }
  return false;
}

/** Anger beats weariness, weariness beats pleasure: the hostile part is what a supervisor needs to hear. */
export function toneOf(text: string): Tone | undefined {
  const norm = normaliseText(text);
  const s = sets();
  if (present(s.anger, norm)) return 'anger';
  if (present(s.weary, norm)) return 'weary';
  if (present(s.pleased, norm)) return 'pleased';
  return undefined;
}
