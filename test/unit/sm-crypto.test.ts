import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sm3Hex } from '../../domain/digest';
import { unwrapSecret, wrapSecret } from '../../domain/key-wrap';
import {
  generateSm2KeyPair,
  hmacSm3,
  parseDerSignature,
  pbkdf2Sm3,
  sm2PublicKeyPem,
  sm2Sign,
  sm2Verify,
  sm4CbcDecrypt,
  sm4CbcEncrypt,
  sm4EncryptBlock,
  SM2_USER_ID,
} from '../../domain/sm-crypto';

/** Standard vectors, and signatures checked by an independent SM2 implementation (OpenSSL 3). */
describe('SM3 / SM4 / SM2', () => {
  test('SM3("abc") is the GB/T 32905 example digest', () => {
    expect(sm3Hex('abc')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });

  test('SM4 encrypts the GB/T 32907 example block', () => {
    const k = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    expect(sm4EncryptBlock(k, k).toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
  });

  test('SM4-CBC agrees with OpenSSL (through Node) and decrypts back', () => {
    const key = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    const iv = Buffer.alloc(16, 7);
    const plain = Buffer.from('预算指标 2026 — private key bytes');
    const ours = sm4CbcEncrypt(plain, key, iv);
    const cipher = crypto.createCipheriv('sm4-cbc', key, iv);
    expect(ours.toString('hex')).toBe(Buffer.concat([cipher.update(plain), cipher.final()]).toString('hex'));
    expect(sm4CbcDecrypt(ours, key, iv).equals(plain)).toBe(true);
  });

  test('PBKDF2-HMAC-SM3 (OpenSSL) equals RFC 8018 PBKDF2 written over our HMAC-SM3', () => {
    const pw = Buffer.from('123456'),
      salt = Buffer.from('salt-salt'),
      iterations = 50;
    const block = (i: number) => {
      let u = hmacSm3(pw, Buffer.concat([salt, Buffer.from([0, 0, 0, i])]));
      const t = Buffer.from(u);
      for (let n = 1; n < iterations; n++) {
        u = hmacSm3(pw, u);
        for (let j = 0; j < t.length; j++) t[j]! ^= u[j]!;
      }
      return t;
    };
    expect(pbkdf2Sm3(pw, salt, iterations, 48).toString('hex')).toBe(
      Buffer.concat([block(1), block(2)])
        .subarray(0, 48)
        .toString('hex'),
    );
  });

  test('SM2 sign/verify round trip with ID 1234567812345678 and strict DER; a tampered payload fails', () => {
    expect(SM2_USER_ID).toBe('1234567812345678');
    const kp = generateSm2KeyPair();
    const msg = Buffer.from('{"what":"quota.issue","amountFen":100}');
    const sig = sm2Sign(msg, kp.privateKey);
    expect(parseDerSignature(sig)).not.toBeNull();
    expect(sm2Verify(msg, sig, kp.publicKey)).toBe(true);
    const tampered = Buffer.from(msg);
    tampered[5]! ^= 1;
    expect(sm2Verify(tampered, sig, kp.publicKey)).toBe(false);
    expect(sm2Verify(msg, sig, generateSm2KeyPair().publicKey)).toBe(false);
    expect(sm2Verify(msg, sig.toUpperCase().slice(0, -2) + 'zz', kp.publicKey)).toBe(false);
    expect(sm2Verify(msg, '3006020100020100', kp.publicKey)).toBe(false); // r = s = 0
  });

  describe('independently, with OpenSSL 3 (pkeyutl, SM3, distid 1234567812345678)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sm2-'));
    const file = (name: string, content: string | Buffer) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, content);
      return p;
    };
    const openssl = (args: string[]) => {
      try {
        return { ok: true, out: execFileSync('openssl', args, { stdio: 'pipe' }) };
      } catch (err) {
        return { ok: false, out: Buffer.from(String((err as { stderr?: Buffer }).stderr ?? err)) };
      }
    };
    const verifyArgs = (pub: string, msg: string, sig: string) => [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      pub,
      '-rawin',
      '-digest',
      'sm3',
      '-pkeyopt',
      `distid:${SM2_USER_ID}`,
      '-in',
      msg,
      '-sigfile',
      sig,
    ];
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('OpenSSL verifies our DER signature over the public key as SubjectPublicKeyInfo PEM, and rejects a tampered payload', () => {
      const kp = generateSm2KeyPair();
      const msg = Buffer.from('{"decision":"同意","quotaNo":"ZB-2026-001"}');
      const sig = sm2Sign(msg, kp.privateKey);
      const pub = file('pub.pem', sm2PublicKeyPem(kp.publicKey));
      expect(openssl(['pkey', '-pubin', '-in', pub, '-text', '-noout']).out.toString()).toMatch(/SM2/);
      const r = openssl(verifyArgs(pub, file('msg', msg), file('sig', Buffer.from(sig, 'hex'))));
      expect(r.out.toString()).toMatch(/Signature Verified Successfully/);
      const bad = Buffer.from(msg);
      bad[3]! ^= 0x20;
      const r2 = openssl(verifyArgs(pub, file('bad', bad), file('sig', Buffer.from(sig, 'hex'))));
      expect(r2.ok).toBe(false);
    });

    test('a signature OpenSSL made verifies in our code', () => {
      const key = file('key.pem', '');
      expect(openssl(['genpkey', '-algorithm', 'SM2', '-out', key]).ok).toBe(true);
      const text = openssl(['pkey', '-in', key, '-text', '-noout']).out.toString();
      const pubHex = text
        .split('pub:')[1]!
        .split('ASN1')[0]!
        .replace(/[^0-9a-f]/g, '');
      const msg = file('m2', '结转 2026 → 2027');
      const sigFile = path.join(dir, 'ossl.sig');
      expect(
        openssl([
          'pkeyutl',
          '-sign',
          '-inkey',
          key,
          '-rawin',
          '-digest',
          'sm3',
          '-pkeyopt',
          `distid:${SM2_USER_ID}`,
          '-in',
          msg,
          '-out',
          sigFile,
        ]).ok,
      ).toBe(true);
      const sig = fs.readFileSync(sigFile).toString('hex');
      expect(sm2Verify(fs.readFileSync(msg), sig, pubHex)).toBe(true);
      expect(sm2Verify(Buffer.from('结转 2026 → 2028'), sig, pubHex)).toBe(false);
    });
  });

  test('a wrapped key opens with the right PIN only, and not on another owner or with another pepper', () => {
    const secret = Buffer.from(generateSm2KeyPair().privateKey, 'hex');
    const pepper = Buffer.from('server pepper');
    const w = wrapSecret(secret, '246810', 'seal-key:1', pepper, 1000);
    expect(w.ciphertext).not.toContain(secret.toString('hex'));
    expect(unwrapSecret(w, '246810', 'seal-key:1', pepper)?.equals(secret)).toBe(true);
    expect(unwrapSecret(w, '246811', 'seal-key:1', pepper)).toBeNull();
    expect(unwrapSecret(w, '246810', 'seal-key:2', pepper)).toBeNull();
    expect(unwrapSecret(w, '246810', 'seal-key:1', Buffer.from('other'))).toBeNull();
    expect(
      unwrapSecret(
        { ...w, ciphertext: w.ciphertext.slice(0, -2) + (w.ciphertext.endsWith('0') ? '1' : '0') },
        '246810',
        'seal-key:1',
        pepper,
      ),
    ).toBeNull();
  });
});
