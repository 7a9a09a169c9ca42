import { createHash } from 'node:crypto';
import fs from 'node:fs';

/**
 * SM3 of a file, read as a stream (a backup's files may be larger than memory). OpenSSL's SM3
 * through node:crypto, the same digest as domain/digest.ts sm3Hex (test/unit/backup-manifest.test.ts
 * holds the two together); sm3Hex needs the whole file in memory.
 */
export async function sm3File(file: string): Promise<{ sm3: string; bytes: number }> {
  const hash = createHash('sm3');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sm3: hash.digest('hex'), bytes };
}
