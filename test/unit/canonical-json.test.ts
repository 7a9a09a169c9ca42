import { canonicalJson } from '../../domain/canonical-json';
import { GENESIS_HASH, recordHash, type AuditRecordBody } from '../../domain/audit-chain';
import { sm3Hex } from '../../domain/digest';

describe('canonical JSON (RFC 8785)', () => {
  test('keys sorted by UTF-16 code units at every level, no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: '值' }, A: false })).toBe(
      '{"A":false,"a":{"c":"值","d":[3,{"y":true,"z":null}]},"b":1}',
    );
    // UTF-16 code units: "€" (U+20AC) before "😀" (surrogates D83D DE00), control characters first.
    expect(canonicalJson({ '😀': 1, '€': 2, '\r': 3 })).toBe('{"\\r":3,"€":2,"😀":1}');
  });

  test('strings escape only what JSON must; Chinese stays itself (UTF-8)', () => {
    expect(canonicalJson('财政\n"局"\\\u0001')).toBe('"财政\\n\\"局\\"\\\\\\u0001"');
    expect(Buffer.from(canonicalJson('财')).toString('hex')).toBe('22e8b4a222');
  });

  test('numbers in ECMAScript form (RFC 8785 appendix examples)', () => {
    expect(canonicalJson([0, -0, 1e21, 1e-7, 333333333.3333333, 9007199254740991, -1.5])).toBe(
      '[0,0,1e+21,1e-7,333333333.3333333,9007199254740991,-1.5]',
    );
  });

  test('values JSON cannot hold are refused, not dropped', () => {
    expect(() => canonicalJson({ a: undefined })).toThrow(/undefined/);
    expect(() => canonicalJson({ a: NaN })).toThrow(/finite/);
    expect(() => canonicalJson({ a: new Date() })).toThrow(/plain object/);
    expect(() => canonicalJson('\ud800')).toThrow(/surrogate/);
  });

  test('a record hash is SM3(prevHash bytes ‖ canonical body), so any change of the body changes it', () => {
    const body: AuditRecordBody = {
      v: 1,
      seq: 1,
      at: '2026-11-23T07:04:05.123Z',
      kind: 'quota.issue',
      subjectType: 'quota',
      subjectId: '7',
      projectId: null,
      actor: { userId: 3, username: 'nm_ysk' },
      data: { amountFen: 100 },
      seal: null,
      prevHash: GENESIS_HASH,
    };
    const expected = sm3Hex(Buffer.concat([Buffer.alloc(32), Buffer.from(canonicalJson(body))]));
    expect(recordHash(body)).toBe(expected);
    expect(recordHash({ ...body, data: { amountFen: 101 } })).not.toBe(expected);
  });
});
