import { maskBankAccount } from '../../domain/field-cipher';
import type { FieldKeyring } from '../../domain/field-cipher';
import { normaliseAccount } from '../../domain/payments';
import { indexOf, openValue, registerSensitiveColumn, sealValue } from '../crypto/keyring';

/**
 * The payee account of a payment request, a sensitive column (等保 三级: bank accounts encrypted
 * at rest with SM4): stored as the field cipher's ciphertext bound to this column, with its
 * HMAC-SM3 blind index (domain 'bank-account', so the treasury's payment orders and this column
 * find each other's accounts) and its mask for lists. The plain account exists only in memory, for
 * those domain/payments.ts mayReadFullAccount allows.
 */
export const PAYEE_ACCOUNT = registerSensitiveColumn({
  table: 'payment_requests',
  idColumn: 'id',
  cipherColumn: 'payee_account_cipher',
  indexColumn: 'payee_account_index',
  indexDomain: 'bank-account',
});

export function sealAccount(
  ring: FieldKeyring,
  account: string,
): { payee_account_cipher: string; payee_account_index: string; payee_account_mask: string } {
  const plain = normaliseAccount(account);
  const sealed = sealValue(ring, PAYEE_ACCOUNT, plain);
  return { payee_account_cipher: sealed.cipher, payee_account_index: sealed.index!, payee_account_mask: maskBankAccount(plain) };
}

export const openAccount = (ring: FieldKeyring, stored: string): string => openValue(ring, PAYEE_ACCOUNT, stored)!;

export const accountIndex = (ring: FieldKeyring, account: string): string => indexOf(ring, PAYEE_ACCOUNT, normaliseAccount(account));
