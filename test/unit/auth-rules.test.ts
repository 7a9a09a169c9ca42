import { passwordExpired, passwordProblems } from '../../domain/password';
import { permissionsOf, regionPrefix, ROLES, violatesSeparationOfDuties, widestScope } from '../../domain/roles';

describe('password policy (等保2.0 三级)', () => {
  test.each([
    ['Budget@2026', []],
    ['budget2026!', []],
    ['Short1!', ['至少 8 个字符']],
    ['alllowercase', ['须包含大写字母、小写字母、数字、符号中的至少三类']],
    ['Zhangsan@2026', ['不能包含用户名']],
  ])('%p → %p', (password, problems) => {
    expect(passwordProblems(password, 'zhangsan')).toEqual(problems);
  });

  test('a password changed more than 90 days ago has expired', () => {
    const now = new Date('2026-11-23T00:00:00Z');
    expect(passwordExpired(new Date('2026-08-24T00:00:00Z'), now)).toBe(true);
    expect(passwordExpired(new Date('2026-08-26T00:00:00Z'), now)).toBe(false);
  });
});

describe('roles', () => {
  test('三员分立: no two of the three admin roles together, and they share no permission', () => {
    expect(violatesSeparationOfDuties(['system_admin', 'audit_admin'])).toBe(true);
    expect(violatesSeparationOfDuties(['system_admin', 'budget_division'])).toBe(false);
    const admin = (code: string) => ROLES.find((r) => r.code === code)!.permissions.filter((p) => p !== 'system:health');
    const [sys, sec, aud] = ['system_admin', 'security_admin', 'audit_admin'].map(admin);
    expect(sys!.filter((p) => sec!.includes(p) || aud!.includes(p))).toEqual([]);
    expect(sec!.filter((p) => aud!.includes(p))).toEqual([]);
  });

  test('a unit clerk may file projects but not issue quotas; the budget division may issue quotas', () => {
    expect(permissionsOf(['unit_clerk']).has('projects:write')).toBe(true);
    expect(permissionsOf(['unit_clerk']).has('quotas:issue')).toBe(false);
    expect(permissionsOf(['budget_division']).has('quotas:issue')).toBe(true);
    expect(permissionsOf(['no-such-role']).size).toBe(0);
  });

  test('role codes are unique', () => {
    expect(new Set(ROLES.map((r) => r.code)).size).toBe(ROLES.length);
  });
});

describe('data scope', () => {
  test('GB/T 2260 region prefixes: a province holds its cities and counties, a city its counties', () => {
    expect(regionPrefix('150000')).toBe('15');
    expect(regionPrefix('150100')).toBe('1501');
    expect(regionPrefix('150102')).toBe('150102');
    expect(() => regionPrefix('15')).toThrow(RangeError);
  });

  test('a user holding several roles gets the widest scope', () => {
    expect(widestScope(['unit_clerk'])).toBe('own-org');
    expect(widestScope(['unit_clerk', 'department_reviewer'])).toBe('org-subtree');
    expect(widestScope(['department_reviewer', 'budget_division'])).toBe('region');
  });
});
