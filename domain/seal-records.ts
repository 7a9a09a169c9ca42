/** A signer's published key record (canonical JSON), signed by the platform key (domain/audit-chain.ts). */
export interface KeyRecord {
  v: 1;
  keyId: string;
  userId: number;
  username: string;
  displayName: string;
  orgId: number;
  orgName: string;
  algorithm: 'SM2-SM3';
  distinguishingId: string;
  publicKey: string;
  createdAt: string;
  platformKeyId: string;
}

export interface SignedKeyRecord {
  record: KeyRecord;
  /** Platform key's SM2 signature over canonicalJson(record). */
  signature: string;
}
