/**
 * What counts as text a person can have typed: the rule the API applies to every string it is
 * sent (server/api/input-hygiene.ts), before any work is done. Refused:
 * - an unpaired UTF-16 surrogate (JSON's \uD800 escapes make them; no character is one, and the
 *   audit chain's canonical form cannot hold them);
 * - control characters other than tab, line feed and carriage return: C0 (U+0000–U+001F), DEL and
 *   C1 (U+007F–U+009F) — they print as nothing, can hide text and break exports;
 * - Unicode noncharacters (U+FDD0–U+FDEF and the last two code points of every plane): reserved,
 *   never assigned, a sign of corrupted or crafted input.
 * Everything else is allowed: all of CJK, emoji (paired surrogates), U+FFFD, U+2028.
 */

export type TextProblemKind = 'surrogate' | 'control' | 'noncharacter';

export interface TextProblem {
  kind: TextProblemKind;
  /** Index of the offending UTF-16 code unit. */
  index: number;
  /** U+XXXX */
  codePoint: string;
}

const NONCHARACTERS = new RegExp(
  `[\\uFDD0-\\uFDEF\\uFFFE\\uFFFF${Array.from({ length: 16 }, (_, i) => `\\u{${(i + 1).toString(16).toUpperCase()}FFFE}\\u{${(i + 1).toString(16).toUpperCase()}FFFF}`).join('')}]`,
  'u',
);
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// Without the u flag a regex sees code units: a high surrogate not followed by a low one, or a
// low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const hex = (n: number) => `U+${n.toString(16).toUpperCase().padStart(4, '0')}`;

/** The first thing wrong with the text, or null when it is clean. */
export function textProblem(s: string): TextProblem | null {
  // Fast path: plain text (the overwhelming case) has none of the code units looked for.
  if (!/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF\uFDD0-\uFDEF\uFFFE\uFFFF]/.test(s)) return null;
  const found: TextProblem[] = [];
  const surrogate = LONE_SURROGATE.exec(s);
  if (surrogate) found.push({ kind: 'surrogate', index: surrogate.index, codePoint: hex(s.charCodeAt(surrogate.index)) });
  const control = CONTROL.exec(s);
  if (control) found.push({ kind: 'control', index: control.index, codePoint: hex(s.charCodeAt(control.index)) });
  const non = surrogate ? null : NONCHARACTERS.exec(s); // with a lone surrogate the u-flag scan is moot
  if (non) found.push({ kind: 'noncharacter', index: non.index, codePoint: hex(non[0].codePointAt(0)!) });
  if (!found.length) return null;
  return found.reduce((a, b) => (b.index < a.index ? b : a));
}

export const TEXT_PROBLEM_LABELS: Record<TextProblemKind, string> = {
  surrogate: '不成对的代理字符（无效的 Unicode）',
  control: '控制字符',
  noncharacter: 'Unicode 非字符',
};

/** 第 3 个字符是控制字符（U+0007） — for a clerk, counting characters from 1. */
export function describeTextProblem(p: TextProblem): string {
  return `第 ${p.index + 1} 个字符是${TEXT_PROBLEM_LABELS[p.kind]}（${p.codePoint}），请删除后重试`;
}
