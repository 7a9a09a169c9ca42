/** SM3 摘要的简短显示：前 8 位…后 8 位（完整值放在悬停提示中）。 */
export function shortDigest(sm3: string): string {
  return sm3.length > 20 ? `${sm3.slice(0, 8)}…${sm3.slice(-8)}` : sm3;
}
