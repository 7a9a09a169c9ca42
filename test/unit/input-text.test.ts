import { describeTextProblem, textProblem } from '../../domain/input-text';

describe('textProblem: text a person can have typed', () => {
  test.each([
    ['plain Chinese', '呼和浩特市第一中学教学楼维修改造项目'],
    ['tab, line feed and carriage return', '第一行\r\n\t第二行'],
    ['emoji (a surrogate pair)', '满意度 😀 90%'],
    ['a character outside the BMP', '𠮷野家'],
    ['U+FFFD and U+2028', '\uFFFD\u2028'],
    ['the empty string', ''],
  ])('%s is clean', (_name, s) => {
    expect(textProblem(s)).toBeNull();
  });

  test.each([
    ['a lone high surrogate', 'ab\uD800c', 'surrogate', 2, 'U+D800'],
    ['a lone high surrogate at the end', 'abc\uDBFF', 'surrogate', 3, 'U+DBFF'],
    ['a lone low surrogate', '\uDC00ab', 'surrogate', 0, 'U+DC00'],
    ['two high surrogates', '\uD83D\uD83D\uDE00', 'surrogate', 0, 'U+D83D'],
    ['NUL', 'a\u0000', 'control', 1, 'U+0000'],
    ['BEL', '\u0007', 'control', 0, 'U+0007'],
    ['ESC', 'x\u001b[31m', 'control', 1, 'U+001B'],
    ['DEL', 'x\u007f', 'control', 1, 'U+007F'],
    ['a C1 control', 'x\u0085', 'control', 1, 'U+0085'],
    ['a noncharacter in the BMP', 'x\uFFFE', 'noncharacter', 1, 'U+FFFE'],
    ['U+FDD0', '\uFDD0', 'noncharacter', 0, 'U+FDD0'],
    ['a supplementary noncharacter', 'a\u{10FFFF}', 'noncharacter', 1, 'U+10FFFF'],
    ['the first of several problems', 'a\u0001\uD800', 'control', 1, 'U+0001'],
  ])('%s is refused', (_name, s, kind, index, codePoint) => {
    expect(textProblem(s)).toEqual({ kind, index, codePoint });
  });

  test('the message counts characters from 1 and names the code point', () => {
    expect(describeTextProblem(textProblem('ab\uD800')!)).toBe('第 3 个字符是不成对的代理字符（无效的 Unicode）（U+D800），请删除后重试');
  });
});
