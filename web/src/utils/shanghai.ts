const yearFormatter = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' });

/** 北京时间（Asia/Shanghai）的当前年份，作为默认预算年度 */
export function currentShanghaiYear(now: Date = new Date()): number {
  return Number(yearFormatter.format(now));
}
