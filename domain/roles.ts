/**
 * Roles of the people who use the platform (domain.md, "Who uses it") and what each may do.
 * `scope` says which organisations' data a holder sees:
 * - own-org: its own organisation only (a unit's clerk, an expert);
 * - org-subtree: its organisation and everything beneath it (a department over its units);
 * - region: every organisation in its organisation's region and the regions beneath (finance
 *   bureau staff over their jurisdiction: a city bureau sees the city and its counties).
 * 三员分立: the three admin roles share no permission.
 */
export const PERMISSIONS = [
  'system:health', // see the system status page (engine and database internals): the three administrators only
  'system:smoke-check', // start the platform self-check process
  'users:manage', // 系统管理员: accounts
  'security:manage', // 安全管理员: roles, locks, password resets
  'audit:read', // 审计管理员 / compliance: audit log
  'reference:read', // regions, organisations, code tables
  'codes:import', // import classification codes
  'projects:read',
  'projects:write', // file and edit applications (unit clerk)
  'projects:review', // department / finance review
  'quotas:read',
  'quotas:issue', // 预算处: issue and adjust quotas
  'quotas:freeze', // payment requests freeze and consume
  'processes:design', // edit and deploy BPMN/DMN
  'experts:manage', // 绩效处/评审中心: the expert pool and review batches
  'experts:score', // an expert: their own review assignments
  'seals:sign', // enrol an SM2 key and seal one's own decisions (the roles that decide)
  'finals:prepare', // 决算: a unit generates, explains and submits its final accounts
  'finals:review', // 决算: department roll-up, 国库处 and 预算处 review
  'finals:open-all', // 预算处: 为全部单位生成决算 (start the final accounts of every unit in the region)
  'performance:self-evaluate', // a unit: its projects' 绩效自评 (actuals, evidence, explanations)
  'performance:evaluate', // 绩效处: start evaluations, review the actuals, see every grade in the region
  'monitoring:report', // 绩效监控: a unit files its quarterly reports and answers 整改
  'monitoring:manage', // 绩效监控: 绩效处 starts a quarter; 绩效处 and departments handle deviations (整改)
  'treasury:pay', // 国库处: payment orders, 查询 the bank, 重新发送, 核实处理
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export type DataScope = 'own-org' | 'org-subtree' | 'region';

export interface RoleDefinition {
  code: string;
  name: string;
  scope: DataScope;
  permissions: readonly Permission[];
}

export const ROLES = [
  {
    code: 'unit_clerk',
    name: '预算单位经办人',
    scope: 'own-org',
    permissions: [
      'reference:read',
      'projects:read',
      'projects:write',
      'quotas:read',
      'quotas:freeze',
      'finals:prepare',
      'performance:self-evaluate',
      'monitoring:report',
    ],
  },
  {
    code: 'department_reviewer',
    name: '主管部门审核人',
    scope: 'org-subtree',
    permissions: ['reference:read', 'projects:read', 'projects:review', 'quotas:read', 'seals:sign', 'finals:review', 'monitoring:manage'],
  },
  {
    code: 'sector_division',
    name: '财政业务处室',
    scope: 'region',
    permissions: ['reference:read', 'projects:read', 'projects:review', 'quotas:read', 'seals:sign'],
  },
  {
    code: 'budget_division',
    name: '预算处',
    scope: 'region',
    permissions: [
      'reference:read',
      'codes:import',
      'projects:read',
      'projects:review',
      'quotas:read',
      'quotas:issue',
      'seals:sign',
      'finals:review',
      'finals:open-all',
    ],
  },
  {
    code: 'treasury_division',
    name: '国库处',
    scope: 'region',
    permissions: ['reference:read', 'projects:read', 'quotas:read', 'quotas:freeze', 'seals:sign', 'finals:review', 'treasury:pay'],
  },
  {
    code: 'performance_division',
    name: '绩效处/评审中心',
    scope: 'region',
    permissions: [
      'reference:read',
      'projects:read',
      'projects:review',
      'experts:manage',
      'seals:sign',
      'performance:evaluate',
      'monitoring:manage',
    ],
  },
  { code: 'expert', name: '专家', scope: 'own-org', permissions: ['experts:score', 'seals:sign'] },
  {
    code: 'director',
    name: '分管局长/局长',
    scope: 'region',
    permissions: ['reference:read', 'projects:read', 'projects:review', 'quotas:read', 'seals:sign'],
  },
  { code: 'process_designer', name: '流程设计员', scope: 'own-org', permissions: ['reference:read', 'processes:design'] },
  {
    code: 'compliance',
    name: '审计/纪检合规人员',
    scope: 'region',
    permissions: ['reference:read', 'projects:read', 'quotas:read', 'audit:read'],
  },
  {
    code: 'system_admin',
    name: '系统管理员',
    scope: 'region',
    permissions: ['system:health', 'system:smoke-check', 'users:manage', 'reference:read'],
  },
  { code: 'security_admin', name: '安全管理员', scope: 'region', permissions: ['system:health', 'security:manage'] },
  { code: 'audit_admin', name: '审计管理员', scope: 'region', permissions: ['system:health', 'audit:read'] },
] as const satisfies readonly RoleDefinition[];

export type RoleCode = (typeof ROLES)[number]['code'];

export function roleByCode(code: string): RoleDefinition | undefined {
  return ROLES.find((r) => r.code === code);
}

export function permissionsOf(roleCodes: readonly string[]): Set<Permission> {
  const set = new Set<Permission>();
  for (const code of roleCodes) for (const p of roleByCode(code)?.permissions ?? []) set.add(p);
  return set;
}

/** 三员分立: a user may not hold two of the three admin roles. */
export function violatesSeparationOfDuties(roleCodes: readonly string[]): boolean {
  const admins = ['system_admin', 'security_admin', 'audit_admin'].filter((r) => roleCodes.includes(r));
  return admins.length > 1;
}

const SCOPE_ORDER: Record<DataScope, number> = { 'own-org': 0, 'org-subtree': 1, region: 2 };

/** The widest scope among the roles (a user's roles add up). */
export function widestScope(roleCodes: readonly string[]): DataScope {
  let widest: DataScope = 'own-org';
  for (const code of roleCodes) {
    const scope = roleByCode(code)?.scope;
    if (scope && SCOPE_ORDER[scope] > SCOPE_ORDER[widest]) widest = scope;
  }
  return widest;
}

/**
 * The prefix every GB/T 2260 code inside a region shares: a province (xx0000) holds xx····,
 * a city (xxxx00) holds xxxx··, a county only itself.
 */
export function regionPrefix(regionCode: string): string {
  if (!/^\d{6}$/.test(regionCode)) throw new RangeError(`not a GB/T 2260 code: ${regionCode}`);
  if (regionCode.endsWith('0000')) return regionCode.slice(0, 2);
  if (regionCode.endsWith('00')) return regionCode.slice(0, 4);
  return regionCode;
}
