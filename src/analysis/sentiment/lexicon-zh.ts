// Call-centre Chinese sentiment lexicon (no usable one ships on npm). Valences use VADER's
// -4..+4 scale so both languages normalise the same way. Entries are words as jieba cuts them
// once these are added to its dictionary; multi-word complaints are built from the parts
// (太 + 慢 + 了, 我 + 要 + 退订) by the intensifier and negation handling.

export const VALENCE: Record<string, number> = {
  // complaint, frustration
  不满意: -2.5, 不满: -2.2, 投诉: -2.5, 举报: -2.2, 失望: -2.5, 太失望: -3, 生气: -2.5, 气死: -3,
  愤怒: -3, 烦: -1.5, 烦死: -2.8, 慢: -1.2, 太慢: -2, 差: -1.5, 糟糕: -2.5, 垃圾: -3, 骗: -2.5,
  骗子: -3, 坑: -2, 坑人: -2.5, 欺骗: -2.8, 无语: -2, 离谱: -2.5, 过分: -2, 受够: -2.8, 受够了: -2.8,
  忍无可忍: -3.2, 恶心: -2.5, 讨厌: -2, 难用: -2, 问题: -0.5, 故障: -1.2, 错误: -1, 乱扣: -2.5,
  乱收费: -2.8, 扣费: -0.8, 没用: -2, 不行: -1.5, 不合理: -2, 不公平: -2, 不负责: -2.5, 不负责任: -2.8,
  敷衍: -2.2, 推卸: -2, 浪费: -1.5, 损失: -1.5, 倒霉: -2, 后悔: -2, 着急: -1.2, 担心: -1, 焦虑: -1.5,
  崩溃: -2.5, 郁闷: -1.8, 难受: -1.5, 可恶: -2.5, 怎么回事: -1, 多次: -0.5, 一直没: -1.5,
  // churn, escalation
  退订: -1.5, 销户: -1.5, 注销: -1, 退款: -1, 换一家: -1.8,
  // abuse
  混蛋: -3.2, 傻: -2, 傻逼: -3.5, 废物: -3, 滚: -2.5, 白痴: -3, 妈的: -3, 他妈的: -3.2, 王八蛋: -3.5,
  // gratitude, satisfaction
  满意: 2, 谢谢: 1.8, 谢谢你: 2, 谢谢您: 2, 感谢: 2, 非常感谢: 2.6, 多谢: 2, 谢了: 1.5, 好: 1,
  不错: 1.8, 棒: 2.2, 优秀: 2.2, 完美: 2.5, 专业: 1.5, 耐心: 1.5, 热情: 1.5, 周到: 1.8, 及时: 1.2,
  方便: 1.2, 解决: 1.2, 解决了: 1.6, 帮助: 1, 帮忙: 1, 辛苦: 1.2, 辛苦了: 1.5, 喜欢: 1.8, 开心: 2,
  高兴: 2, 放心: 1.5, 清楚: 0.8, 明白: 0.5, 好的: 0.5, 没问题: 1, 赞: 2, 给力: 2, 靠谱: 1.8,
  贴心: 2, 推荐: 1.2, 感激: 2.2, 顺利: 1.5,
};

/** Words that flip the polarity of a following sentiment word (within a clause). */
export const NEGATORS = new Set(['不', '没', '没有', '不是', '别', '无', '未', '并不', '从不', '不太', '不怎么', '并非', '不算', '不会']);

/** Multipliers for the word right after them; below 1 softens ("有点慢"). */
export const INTENSIFIERS: Record<string, number> = {
  很: 1.3, 非常: 1.6, 太: 1.5, 特别: 1.5, 真: 1.3, 真的: 1.3, 超: 1.5, 超级: 1.6, 极其: 1.8,
  十分: 1.5, 相当: 1.4, 实在: 1.4, 最: 1.5, 好: 1.3, 巨: 1.6, 越来越: 1.3,
  有点: 0.7, 有些: 0.7, 稍微: 0.6, 一点: 0.7, 比较: 0.9, 还算: 0.8,
};

/** A clause boundary: negation and intensity do not cross it. */
export const CLAUSE_BREAK = /^(?:[，,。.！!？?；;、…]+|但是|但|可是|不过|然而)$/u;

/** The words above, as jieba user-dictionary lines, so they are cut as one token. */
export function jiebaUserDict(): string {
  const words = [...Object.keys(VALENCE), ...NEGATORS, ...Object.keys(INTENSIFIERS)];
  return words.map((w) => `${w} 200000`).join('\n') + '\n';
}
