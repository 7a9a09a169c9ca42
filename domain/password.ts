/**
 * Password policy (等保2.0 三级): at least 8 characters with at least three of upper case, lower
 * case, digits and symbols; not containing the user name; changed every 90 days.
 */
export const PASSWORD_MAX_AGE_DAYS = 90;
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 30;
export const SESSION_IDLE_MINUTES = 15;

export function passwordProblems(password: string, username: string): string[] {
  const problems: string[] = [];
  if (password.length < 8) problems.push('至少 8 个字符');
  if (password.length > 128) problems.push('不能超过 128 个字符');
  const classes = [/[A-Z]/, /[a-z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) problems.push('须包含大写字母、小写字母、数字、符号中的至少三类');
  if (username && password.toLowerCase().includes(username.toLowerCase())) problems.push('不能包含用户名');
  return problems;
}

export function passwordExpired(changedAt: Date, now: Date): boolean {
  return now.getTime() - changedAt.getTime() > PASSWORD_MAX_AGE_DAYS * 24 * 3600 * 1000;
}
