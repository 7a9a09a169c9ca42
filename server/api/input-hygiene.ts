import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { describeTextProblem, textProblem } from '../../domain/input-text';
import { AppError, type FieldIssue } from '../errors';

/**
 * Input hygiene at the edge, in one place for every route: the path, the query string and the
 * parsed JSON body are walked before any router sees the request, and text no person can have
 * typed is refused with 400 and a stable code (domain/input-text.ts says what text is). Without
 * it such a string passed validation and made the audit chain's canonical form fail deep inside
 * a transaction (a 500 on ten write routes).
 *
 * Codes: INVALID_TEXT (unpaired surrogate, control character, noncharacter; details name the
 * field), INVALID_ENCODING (a JSON body that is not UTF-8), INVALID_URL_ENCODING (a malformed
 * %-escape in path or query), INPUT_TOO_DEEP (nesting beyond MAX_INPUT_DEPTH), INVALID_NUMBER (a
 * number JSON cannot hold, e.g. 1e400 read as Infinity).
 *
 * Bodies the routes read raw (attachments, evidence packages) are bytes, not text, and are not
 * looked at here.
 */

/** No request of this API nests deeper than a handful of levels; canonical JSON recurses. */
export const MAX_INPUT_DEPTH = 32;
/** At most this many offending fields are listed. */
const MAX_DETAILS = 20;

export const inputErrors = {
  text: (details: FieldIssue[]) =>
    new AppError(400, 'INVALID_TEXT', '提交的内容含有无法识别的字符（不成对的代理字符、控制字符等），请删除后重试', details),
  encoding: () => new AppError(400, 'INVALID_ENCODING', '提交的内容不是有效的 UTF-8 编码，请检查文件或输入法后重试'),
  url: (where: string) => new AppError(400, 'INVALID_URL_ENCODING', `请求地址中的${where}编码不正确（% 转义无效）`),
  deep: () => new AppError(400, 'INPUT_TOO_DEEP', `提交的内容嵌套层级过深（最多 ${MAX_INPUT_DEPTH} 层）`),
  number: (details: FieldIssue[]) => new AppError(400, 'INVALID_NUMBER', '提交的数字超出可表示的范围', details),
};

/**
 * express.json's `verify`: the raw bytes must be UTF-8, else the parser would quietly turn them
 * into U+FFFD and the text would be stored changed.
 */
export function verifyUtf8(_req: IncomingMessage, _res: unknown, buf: Buffer): void {
  if (!isUtf8(buf)) throw inputErrors.encoding();
}

export function inputHygiene(): RequestHandler {
  return (req, _res, next) => {
    const texts: FieldIssue[] = [];
    const numbers: FieldIssue[] = [];
    const checkText = (field: string, s: string) => {
      const p = textProblem(s);
      if (p && texts.length < MAX_DETAILS) texts.push({ field, message: describeTextProblem(p) });
    };

    // Path and query from the raw URL: the query parser turns a malformed or non-UTF-8 escape
    // into U+FFFD, and path parameters are decoded only inside the routers.
    const url = req.originalUrl;
    const q = url.indexOf('?');
    const pathPart = q < 0 ? url : url.slice(0, q);
    const queryPart = q < 0 ? '' : url.slice(q + 1);
    for (const segment of pathPart.split('/')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return next(inputErrors.url('路径'));
      }
      checkText('path', decoded);
    }
    for (const pair of queryPart ? queryPart.split('&') : []) {
      const eq = pair.indexOf('=');
      const [rawKey, rawValue] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      let key: string;
      let value: string;
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
        value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
      } catch {
        return next(inputErrors.url('查询参数'));
      }
      checkText(`query.${key}`, key);
      checkText(`query.${key}`, value);
    }

    // The parsed JSON body, keys included, without recursion (a deep body cannot blow the stack).
    if (req.body !== undefined && !Buffer.isBuffer(req.body)) {
      const stack: Array<{ value: unknown; field: string; depth: number }> = [{ value: req.body, field: 'body', depth: 0 }];
      while (stack.length) {
        const { value, field, depth } = stack.pop()!;
        if (typeof value === 'string') checkText(field, value);
        else if (typeof value === 'number') {
          if (!Number.isFinite(value) && numbers.length < MAX_DETAILS) numbers.push({ field, message: '数字超出可表示的范围' });
        } else if (value !== null && typeof value === 'object') {
          if (depth >= MAX_INPUT_DEPTH) return next(inputErrors.deep());
          if (Array.isArray(value)) value.forEach((v, i) => stack.push({ value: v, field: `${field}.${i}`, depth: depth + 1 }));
          else
            for (const [k, v] of Object.entries(value)) {
              checkText(`${field}.${k}`, k);
              stack.push({ value: v, field: `${field}.${k}`, depth: depth + 1 });
            }
        }
      }
    }
    if (texts.length) return next(inputErrors.text(texts));
    if (numbers.length) return next(inputErrors.number(numbers));
    next();
  };
}
