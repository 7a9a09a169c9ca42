import type { FunctionalCode } from '../../api/reference';

/** 树形表格的一行：科目本身及其下级 */
export type CodeNode<T extends FunctionalCode> = T & { children?: Array<CodeNode<T>> };

/**
 * 把按树序排列的全年度科目（服务端已按编码排序）组装成 类 → 款 → 项 的树。
 * 上级不在表中的科目（数据不完整时）作为顶层显示，不会丢失。
 */
export function buildCodeTree<T extends FunctionalCode>(codes: readonly T[]): Array<CodeNode<T>> {
  const byCode = new Map<string, CodeNode<T>>();
  const roots: Array<CodeNode<T>> = [];
  for (const code of codes) {
    const node: CodeNode<T> = { ...code };
    byCode.set(code.code, node);
    const parent = code.parentCode ? byCode.get(code.parentCode) : undefined;
    if (parent) (parent.children ??= []).push(node);
    else roots.push(node);
  }
  return roots;
}

/**
 * 按编码前缀或名称关键字筛选：保留命中的科目、它们的上级（看得出归属）和下级（整段可见）。
 */
export function filterCodes<T extends FunctionalCode>(codes: readonly T[], keyword: string): T[] {
  const k = keyword.trim();
  if (!k) return [...codes];
  const hits = new Set(codes.filter((c) => c.code.startsWith(k) || c.name.includes(k)).map((c) => c.code));
  const ancestorsOfHits = new Set<string>();
  for (const code of hits) for (const a of lineage(code)) ancestorsOfHits.add(a);
  // 一个科目保留，当它是命中科目的上级，或它自己、它的某个上级命中
  return codes.filter((c) => ancestorsOfHits.has(c.code) || lineage(c.code).some((a) => hits.has(a)));
}

/** 科目自身及其各级上级编码：2050203 → 2050203、20502、205 */
function lineage(code: string): string[] {
  const out: string[] = [];
  for (let c = code; c.length >= 3; c = c.slice(0, -2)) out.push(c);
  return out;
}
