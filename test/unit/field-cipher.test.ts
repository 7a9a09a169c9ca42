import {
  blindIndex,
  decryptField,
  encryptField,
  fieldKeyId,
  FieldCipherError,
  maskBankAccount,
  maskIdNumber,
  maskPhone,
  type FieldKeyring,
} from '../../domain/field-cipher';
import { loadConfig } from '../../server/config';
import { fieldKeyring, indexOf, openValue, sealValue, type SensitiveColumn } from '../../server/crypto/keyring';

const hex = (c: string) => c.repeat(64);
const ring = (keys: [string, string][], index = hex('a')): FieldKeyring =>
  fieldKeyring({ fieldKeys: { keys: keys.map(([id, h]) => ({ id, hex: h })), indexKeyHex: index, derived: false } });

describe('sensitive columns: SM4 at rest, blind index, masks', () => {
  const r1 = ring([['k1', hex('1')]]);
  const column: SensitiveColumn = {
    table: 'payees',
    idColumn: 'id',
    cipherColumn: 'account_cipher',
    indexColumn: 'account_index',
    indexDomain: 'bank-account',
  };

  test('round trip, random IV, bound to its column', () => {
    const a = encryptField('6222021234567891234', 'payees.account', r1);
    const b = encryptField('6222021234567891234', 'payees.account', r1);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^sm4\.1\.k1\./);
    expect(a).not.toContain('6222021234567891234');
    expect(decryptField(a, 'payees.account', r1)).toBe('6222021234567891234');
    expect(() => decryptField(a, 'users.phone', r1)).toThrow(FieldCipherError);
    expect(decryptField(encryptField('张三 的 账户', 'x', r1), 'x', r1)).toBe('张三 的 账户');
  });

  test('a changed byte or an unknown key is refused, never decrypted to garbage', () => {
    const a = encryptField('13800138000', 'users.phone', r1);
    const parts = a.split('.');
    const flipped = parts[4]!.slice(0, -1) + (parts[4]!.endsWith('0') ? '1' : '0');
    const tampered = [...parts.slice(0, 4), flipped, parts[5]].join('.');
    expect(() => decryptField(tampered, 'users.phone', r1)).toThrow(expect.objectContaining({ reason: 'tampered' }));
    expect(() => decryptField(a, 'users.phone', ring([['k2', hex('2')]]))).toThrow(expect.objectContaining({ reason: 'unknown-key' }));
    expect(() => decryptField('plain text', 'users.phone', r1)).toThrow(expect.objectContaining({ reason: 'malformed' }));
  });

  test('rotation: the new current key seals, the old one still opens what it sealed', () => {
    const old = encryptField('110101199003071234', 'users.id_number', r1);
    const rotated = ring([
      ['k2', hex('2')],
      ['k1', hex('1')],
    ]);
    expect(decryptField(old, 'users.id_number', rotated)).toBe('110101199003071234');
    const fresh = encryptField('110101199003071234', 'users.id_number', rotated);
    expect(fieldKeyId(fresh)).toBe('k2');
    expect(fieldKeyId(old)).toBe('k1');
  });

  test('blind index: equal numbers match whatever their spacing, domains and keys separate', () => {
    expect(blindIndex('6222 0212 3456 7891', 'bank-account', r1)).toBe(blindIndex('6222-0212-34567891', 'bank-account', r1));
    expect(blindIndex('6222021234567891', 'bank-account', r1)).not.toBe(blindIndex('6222021234567892', 'bank-account', r1));
    expect(blindIndex('6222021234567891', 'bank-account', r1)).not.toBe(blindIndex('6222021234567891', 'phone', r1));
    expect(blindIndex('x', 'd', r1)).not.toBe(blindIndex('x', 'd', ring([['k1', hex('1')]], hex('b'))));
    const sealed = sealValue(r1, column, '6222 0212 3456 7891');
    expect(sealed.index).toBe(indexOf(r1, column, '6222021234567891'));
    expect(openValue(r1, column, sealed.cipher)).toBe('6222 0212 3456 7891');
    expect(openValue(r1, column, null)).toBeNull();
  });

  test('masks', () => {
    expect(maskBankAccount('6222021234567891234')).toBe('6222 **** **** 1234');
    expect(maskBankAccount('6222 0212 3456 7891')).toBe('6222 **** **** 7891');
    expect(maskBankAccount('12345678')).toBe('**** 5678');
    expect(maskIdNumber('11010119900307123X')).toBe('110101********123X');
    expect(maskPhone('13800138000')).toBe('138****8000');
  });

  test('configuration: development derives keys, production requires them, bad keys are named', () => {
    const dev = loadConfig({ NODE_ENV: 'development' });
    expect(dev.fieldKeys.derived).toBe(true);
    const secrets = { NODE_ENV: 'production', BUDGET_SEAL_SECRET: 's'.repeat(40), BUDGET_BANK_SECRET: 'b'.repeat(40) };
    expect(() => loadConfig(secrets)).toThrow(/BUDGET_FIELD_KEYS/);
    const prod = loadConfig({ ...secrets, BUDGET_FIELD_KEYS: `k2:${hex('2')}, k1:${hex('1')}`, BUDGET_FIELD_INDEX_KEY: hex('c') });
    expect(prod.fieldKeys.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(fieldKeyring(prod).current.id).toBe('k2');
    expect(() => loadConfig({ BUDGET_FIELD_KEYS: 'k1:abcd', BUDGET_FIELD_INDEX_KEY: hex('c') })).toThrow(/k1/);
    expect(() => loadConfig({ BUDGET_FIELD_KEYS: `k1:${hex('1')},k1:${hex('2')}`, BUDGET_FIELD_INDEX_KEY: hex('c') })).toThrow(/重复/);
    expect(() => loadConfig({ BUDGET_FIELD_KEYS: `k1:${hex('1')}` })).toThrow(/BUDGET_FIELD_INDEX_KEY/);
  });
});
