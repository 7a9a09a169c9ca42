import ExcelJS from 'exceljs';
import type { Knex } from 'knex';
import { isMasked } from '../../domain/expert-review';
import { AppError, type FieldIssue } from '../errors';
import { saveExpert, type ExpertInput } from './pool';
import type { FieldKeyring } from '../../domain/field-cipher';
import { openPhone } from './contact';

/**
 * 专家库 in Excel: the export's columns are the import's, so an exported pool can be edited and
 * imported again. Contact data leaves the system masked (138****5678); a masked cell on import
 * means "keep what is stored". An import is all or nothing: every problem is listed by row and
 * column, and nothing is written while there is one. Experts are matched by 专家编号.
 */

export const POOL_COLUMNS = [
  { key: 'code', header: '专家编号', width: 12 },
  { key: 'name', header: '姓名', width: 10 },
  { key: 'organisationName', header: '工作单位', width: 30 },
  { key: 'orgCode', header: '单位机构编码', width: 18 },
  { key: 'title', header: '职称', width: 12 },
  { key: 'specialties', header: '专业领域（功能分类类编码）', width: 22 },
  { key: 'phone', header: '联系电话', width: 14 },
  { key: 'email', header: '电子邮箱', width: 22 },
  { key: 'available', header: '可参评', width: 8 },
  { key: 'username', header: '登录账号', width: 14 },
  { key: 'note', header: '备注', width: 30 },
] as const;
type ColumnKey = (typeof POOL_COLUMNS)[number]['key'];

export const POOL_NOTES = [
  '专家库导入说明：',
  '1. 第一张工作表第 1 行为表头，请勿修改；从第 2 行起每行一位专家，空行会被忽略。',
  '2. 专家编号：已有编号更新该专家，新编号新增专家。姓名、工作单位、职称、专业领域必填。',
  '3. 专业领域：支出功能分类的类编码（3 位数字），多个以逗号或顿号分隔，如 205,206。',
  '4. 单位机构编码：专家在本系统某机构任职时填写（在该机构或其上级主管部门申报的项目中自动回避）。',
  '5. 联系电话、电子邮箱：导出时已脱敏；保留带 * 的值表示不修改。',
  '6. 可参评：是 或 否。登录账号：专家用于评分的账号（须有“专家”角色），不填则不会被抽取。',
  '7. 回避关系（任职、咨询、纠纷、投资、参与编制）在专家库页面逐条登记。',
  '8. 任一行有错误时整个文件都不导入，系统会列出每处错误所在的行和列。',
];

export interface PoolImportIssue extends FieldIssue {
  row: number;
  column: string;
}

const issue = (row: number, column: string, message: string): PoolImportIssue => ({ row, column, field: `第${row}行/${column}`, message });

function text(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object' && 'richText' in v)
    return v.richText
      .map((r) => r.text)
      .join('')
      .trim();
  if (typeof v === 'object' && 'text' in v) return String(v.text).trim();
  if (typeof v === 'object' && 'result' in v) return String(v.result ?? '').trim();
  return String(v).trim();
}

/** `where`: the importing person's scope (only entries they keep are updated) and their organisation (keeps new entries). */
export async function importPool(
  db: Knex,
  ring: FieldKeyring,
  actor: { userId: number; username: string },
  bytes: Uint8Array,
  where: { scope: Knex.QueryBuilder; keeperOrgId: number },
): Promise<{ created: number; updated: number }> {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b)
    throw new AppError(400, 'INVALID_FILE', '文件不是有效的 Excel（.xlsx）文件');
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(new Uint8Array(bytes).buffer, { ignoreNodes: ['dataValidations', 'conditionalFormatting', 'extLst'] } as never);
  } catch {
    throw new AppError(400, 'INVALID_FILE', '文件不是有效的 Excel（.xlsx）文件');
  }
  const sheet = wb.worksheets[0];
  if (!sheet) throw new AppError(400, 'INVALID_FILE', '文件中没有工作表');
  const header = sheet.getRow(1);
  const colOf = new Map<ColumnKey, number>();
  header.eachCell((cell, col) => {
    const c = POOL_COLUMNS.find((x) => x.header === text(cell.value));
    if (c) colOf.set(c.key, col);
  });
  const missing = POOL_COLUMNS.filter(
    (c) => ['code', 'name', 'organisationName', 'title', 'specialties'].includes(c.key) && !colOf.has(c.key),
  );
  if (missing.length)
    throw new AppError(
      400,
      'MISSING_COLUMN',
      `缺少列：${missing.map((c) => c.header).join('、')}`,
      missing.map((c) => issue(1, c.header, '缺少该列')),
    );
  if (sheet.rowCount > 5001) throw new AppError(400, 'TOO_MANY_ROWS', '一次最多导入 5,000 位专家，请分批导入');

  const headerOf = (k: ColumnKey) => POOL_COLUMNS.find((c) => c.key === k)!.header;
  const problems: PoolImportIssue[] = [];
  const rows: Array<{ row: number; input: ExpertInput; orgCode: string }> = [];
  const seen = new Map<string, number>();
  for (let r = 2; r <= sheet.rowCount; r++) {
    const row = sheet.getRow(r);
    const get = (k: ColumnKey) => (colOf.has(k) ? text(row.getCell(colOf.get(k)!).value) : '');
    if (POOL_COLUMNS.every((c) => get(c.key) === '')) continue;
    const need = (k: ColumnKey, max: number) => {
      const v = get(k);
      if (!v) problems.push(issue(r, headerOf(k), '必填项'));
      else if (v.length > max) problems.push(issue(r, headerOf(k), `不能超过 ${max} 个字符`));
      return v;
    };
    const code = need('code', 30);
    if (code && seen.has(code)) problems.push(issue(r, headerOf('code'), `与第 ${seen.get(code)} 行重复`));
    if (code) seen.set(code, r);
    const specialties = get('specialties')
      .split(/[,，、\s]+/)
      .filter(Boolean);
    if (!specialties.length) problems.push(issue(r, headerOf('specialties'), '必填项'));
    for (const s of specialties)
      if (!/^\d{3}$/.test(s)) problems.push(issue(r, headerOf('specialties'), `「${s}」不是 3 位功能分类类编码`));
    const availableText = get('available') || '是';
    if (!['是', '否'].includes(availableText)) problems.push(issue(r, headerOf('available'), '应为 是 或 否'));
    const phone = get('phone');
    if (phone && !isMasked(phone) && !/^[0-9+\-() ]{5,30}$/.test(phone)) problems.push(issue(r, headerOf('phone'), '格式不正确'));
    const email = get('email');
    if (email && !isMasked(email) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) problems.push(issue(r, headerOf('email'), '格式不正确'));
    rows.push({
      row: r,
      orgCode: get('orgCode'),
      input: {
        code,
        name: need('name', 50),
        organisationName: need('organisationName', 200),
        title: need('title', 50),
        specialties,
        phone: phone || null,
        email: email || null,
        available: availableText !== '否',
        username: get('username') || null,
        note: get('note') || null,
      },
    });
  }
  if (!rows.length && !problems.length) throw new AppError(400, 'EMPTY_IMPORT', '文件中没有专家数据');

  const orgCodes = [...new Set(rows.map((r) => r.orgCode).filter(Boolean))];
  const orgs = new Map(
    (
      (orgCodes.length ? await db('organisations').whereIn('code', orgCodes).select('id', 'code') : []) as Array<{
        id: number;
        code: string;
      }>
    ).map((o) => [o.code, Number(o.id)]),
  );
  for (const r of rows)
    if (r.orgCode && !orgs.has(r.orgCode)) problems.push(issue(r.row, headerOf('orgCode'), `机构编码 ${r.orgCode} 不存在`));
  if (problems.length) throw new AppError(400, 'IMPORT_FAILED', `导入文件有 ${problems.length} 处问题，未导入任何数据`, problems);

  let created = 0;
  let updated = 0;
  await db.transaction(async (trx) => {
    for (const r of rows) {
      const existing = (await trx('experts')
        .where('code', r.input.code)
        .whereIn('keeper_org_id', where.scope.clone())
        .first('id', 'phone_cipher', 'email')) as { id: number; phone_cipher: string | null; email: string | null } | undefined;
      const input: ExpertInput = {
        ...r.input,
        orgId: r.orgCode ? orgs.get(r.orgCode)! : null,
        phone: isMasked(r.input.phone) ? openPhone(ring, existing?.phone_cipher) : r.input.phone,
        email: isMasked(r.input.email) ? (existing?.email ?? null) : r.input.email,
      };
      try {
        await saveExpert(trx, ring, actor, input, existing ? Number(existing.id) : undefined, where);
      } catch (err) {
        if (err instanceof AppError)
          throw new AppError(400, 'IMPORT_FAILED', `第 ${r.row} 行：${err.message}，未导入任何数据`, [
            issue(r.row, err.code.startsWith('EXPERT_ACCOUNT') ? headerOf('username') : headerOf('code'), err.message),
          ]);
        throw err;
      }
      if (existing) updated++;
      else created++;
    }
  });
  return { created, updated };
}
