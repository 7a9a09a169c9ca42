import { sm3 } from 'sm-crypto-v2';

/** SM3 (GB/T 32905) digest of bytes, lowercase hex: the platform's one digest algorithm. */
export function sm3Hex(data: Uint8Array | string): string {
  return sm3(typeof data === 'string' ? new TextEncoder().encode(data) : data);
}
