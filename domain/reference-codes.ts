/**
 * The 政府收支分类科目 tables' kinds (domain.md "Classification codes"): which tables there are and
 * which kinds an economic code may have. Here, with no server in sight, so that the request schemas
 * (contracts/reference.ts) and the rules (server/reference/codes.ts) share them.
 */
export type CodeType = 'functional' | 'economic';
export type EconomicKind = 'department' | 'government';

export const CODE_TYPES: readonly CodeType[] = ['functional', 'economic'];
export const ECONOMIC_KINDS: readonly EconomicKind[] = ['department', 'government'];
