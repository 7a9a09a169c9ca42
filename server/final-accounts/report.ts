import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Knex } from 'knex';
import { verificationCode, type AuditRecordBody } from '../../domain/audit-chain';
import { CHOICE_LABELS, STATUS_LABELS, type Choice, type FinalAccountStatus } from '../../domain/final-accounts';
import { formatYuan } from '../../domain/money';
import { toShanghaiIso } from '../../domain/time';
import { MONEY_FORMAT } from '../documents/spreadsheet';
import { templateLines } from '../documents/approval';
import { drawHeader, drawSeal, LEFT, newDocument, PAGE, RED, spacedCode, WIDTH } from '../documents/pdf';
import { readInstant } from '../db';
import { loadItems } from './service';

/**
 * 决算 reports: the Excel workbook (one unit, or every unit in a scope: 汇总 per unit, 项目明细 per
 * quota line, 按功能科目 and 按经济科目 roll-ups, all summed in SQL and written by exceljs' streaming
 * writer, money as yuan numbers) and the sealed PDF (templates/documents/final-accounts.hbs, the
 * per-project table, and each review decision with its seal from the audit chain).
 */

const MONEY_COLUMNS: Array<[string, string]> = [
  ['下达', 'issued_fen'],
  ['调入', 'adjusted_in_fen'],
  ['调出', 'adjusted_out_fen'],
  ['已结转', 'carried_out_fen'],
  ['指标数', 'budget_fen'],
  ['已支付', 'paid_fen'],
  ['冻结', 'frozen_fen'],
  ['结余', 'balance_fen'],
];

const yuan = (v: unknown) => Number(v ?? 0) / 100;

/**
 * The workbook of the given final accounts (ids: a unit's one, or a region's many). Lines are read
 * in keyset pages of 5,000 so a province's 10,000+ lines never sit in memory as objects twice.
 */
export async function finalAccountsWorkbook(db: Knex, accountIds: Knex.QueryBuilder | readonly number[]): Promise<Buffer> {
  const ids = () => (Array.isArray(accountIds) ? accountIds : (accountIds as Knex.QueryBuilder).clone());
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const finished = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const sheet = (name: string, columns: Array<{ header: string; width: number; money?: boolean }>) => {
    const s = wb.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
    s.columns = columns.map((c) => ({ width: c.width, style: c.money ? { numFmt: MONEY_FORMAT } : { numFmt: '@' } }));
    const h = s.addRow(columns.map((c) => c.header));
    h.font = { bold: true };
    h.commit();
    return s;
  };
  const moneyCols = MONEY_COLUMNS.map(([header]) => ({ header, width: 14, money: true }));

  // 汇总: one row per unit.
  const summary = sheet('决算汇总', [
    { header: '年度', width: 8 },
    { header: '主管部门', width: 24 },
    { header: '预算单位', width: 28 },
    { header: '状态', width: 12 },
    ...moneyCols.slice(4),
  ]);
  const units = (await db('final_accounts as fa')
    .join('organisations as u', 'u.id', 'fa.unit_org_id')
    .leftJoin('organisations as d', 'd.id', 'fa.department_org_id')
    .whereIn('fa.id', ids() as readonly number[])
    .orderBy([{ column: 'd.name' }, { column: 'u.name' }])
    .select(
      'fa.fiscal_year',
      'fa.status',
      'fa.budget_fen',
      'fa.paid_fen',
      'fa.frozen_fen',
      'fa.balance_fen',
      'u.name as unit_name',
      'd.name as department_name',
    )) as Array<Record<string, unknown>>;
  const totals = { budget: 0, paid: 0, frozen: 0, balance: 0 };
  for (const u of units) {
    summary
      .addRow([
        String(u.fiscal_year),
        String(u.department_name ?? ''),
        String(u.unit_name),
        STATUS_LABELS[u.status as FinalAccountStatus] ?? String(u.status),
        yuan(u.budget_fen),
        yuan(u.paid_fen),
        yuan(u.frozen_fen),
        yuan(u.balance_fen),
      ])
      .commit();
    totals.budget += Number(u.budget_fen);
    totals.paid += Number(u.paid_fen);
    totals.frozen += Number(u.frozen_fen);
    totals.balance += Number(u.balance_fen);
  }
  const sumRow = summary.addRow([
    '合计',
    '',
    `${units.length} 个单位`,
    '',
    yuan(totals.budget),
    yuan(totals.paid),
    yuan(totals.frozen),
    yuan(totals.balance),
  ]);
  sumRow.font = { bold: true };
  sumRow.commit();
  summary.commit();

  // 项目明细: every quota line, with the project's choice and explanation.
  const detail = sheet('项目明细', [
    { header: '预算单位', width: 26 },
    { header: '项目编号', width: 16 },
    { header: '项目名称', width: 30 },
    { header: '指标编号', width: 16 },
    { header: '功能科目', width: 10 },
    { header: '经济科目', width: 10 },
    ...moneyCols,
    { header: '结余处理', width: 10 },
    { header: '结余说明', width: 40 },
  ]);
  let after = 0;
  for (;;) {
    const rows = (await db('final_account_lines as l')
      .join('final_accounts as fa', 'fa.id', 'l.final_account_id')
      .join('organisations as u', 'u.id', 'fa.unit_org_id')
      .leftJoin('projects as p', 'p.id', 'l.project_id')
      // The project's item, or the quota's own when it has no project: two indexed joins, no OR.
      .leftJoin('final_account_items as i', function () {
        this.on('i.final_account_id', 'l.final_account_id').andOn('i.project_id', 'l.project_id');
      })
      .leftJoin('final_account_items as iq', function () {
        this.on('iq.final_account_id', 'l.final_account_id').andOnNull('l.project_id').andOn('iq.quota_id', 'l.quota_id');
      })
      .whereIn('l.final_account_id', ids() as readonly number[])
      .where('l.id', '>', after)
      .orderBy('l.id')
      .limit(5000)
      .select(
        'l.*',
        'u.name as unit_name',
        'p.project_no',
        'p.name as project_name',
        db.raw('coalesce(i.choice, iq.choice) as choice'),
        db.raw('coalesce(i.explanation, iq.explanation) as explanation'),
      )) as Array<Record<string, unknown>>;
    for (const r of rows) {
      detail
        .addRow([
          String(r.unit_name),
          String(r.project_no ?? ''),
          String(r.project_name ?? ''),
          String(r.quota_no),
          String(r.functional_code),
          String(r.economic_code),
          ...MONEY_COLUMNS.map(([, c]) => yuan(r[c])),
          r.choice ? CHOICE_LABELS[r.choice as Choice] : '',
          String(r.explanation ?? ''),
        ])
        .commit();
    }
    if (rows.length < 5000) break;
    after = Number(rows[rows.length - 1]!.id);
  }
  detail.commit();

  // Roll-ups by code, summed in SQL.
  for (const [name, column, header] of [
    ['按功能科目', 'functional_code', '功能分类科目'],
    ['按经济科目', 'economic_code', '经济分类科目'],
  ] as const) {
    const s = sheet(name, [{ header, width: 14 }, { header: '指标数', width: 8 }, ...moneyCols]);
    const rows = (await db('final_account_lines as l')
      .whereIn('l.final_account_id', ids() as readonly number[])
      .groupBy(`l.${column}`)
      .orderBy(`l.${column}`)
      .select(`l.${column} as code`, db.raw('count(*) as n'), ...MONEY_COLUMNS.map(([, c]) => db.raw(`sum(l.${c}) as ${c}`)))) as Array<
      Record<string, unknown>
    >;
    for (const r of rows) s.addRow([String(r.code), Number(r.n), ...MONEY_COLUMNS.map(([, c]) => yuan(r[c]))]).commit();
    s.commit();
  }
  await wb.commit();
  await finished;
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------
// The sealed PDF

interface Step {
  step: string;
  decision: string;
  comment: string | null;
  approverName: string;
  approverOrg: string;
  decidedAt: string;
  auditRecordId: number | null;
  sealed: boolean;
  verificationCode: string | null;
}

const DECISION_LABELS: Record<string, string> = { submit: '确认提交', approve: '同意', reject: '不同意（退回）' };

export async function finalAccountPdf(db: Knex, id: number, now = new Date()): Promise<{ pdf: Buffer; filename: string }> {
  const row = (await db('final_accounts as fa')
    .join('organisations as u', 'u.id', 'fa.unit_org_id')
    .leftJoin('organisations as d', 'd.id', 'fa.department_org_id')
    .where('fa.id', id)
    .first('fa.*', 'u.name as unit_name', 'u.code as unit_code', 'd.name as department_name')) as Record<string, unknown>;
  const items = await loadItems(db, id);
  const sum = (pick: (i: (typeof items)[number]) => number) => items.reduce((s, i) => s + pick(i), 0);
  const decisions = (await db('final_account_decisions as d')
    .join('users as u', 'u.id', 'd.user_id')
    .leftJoin('organisations as o', 'o.id', 'u.org_id')
    .leftJoin('audit_records as r', 'r.id', 'd.audit_record_id')
    .where('d.final_account_id', id)
    .orderBy('d.id')
    .select('d.*', 'u.display_name', 'o.name as org_name', 'r.body')) as Array<Record<string, unknown>>;
  const steps: Step[] = decisions.map((d) => {
    const seal = d.body ? (JSON.parse(String(d.body)) as AuditRecordBody).seal : null;
    return {
      step: String(d.step_name),
      decision: DECISION_LABELS[String(d.decision)] ?? String(d.decision),
      comment: (d.comment as string | null) ?? null,
      approverName: seal?.payload.who.displayName ?? String(d.display_name),
      approverOrg: seal?.payload.who.orgName ?? String(d.org_name ?? ''),
      decidedAt: toShanghaiIso(readInstant(d.decided_at)).slice(0, 16).replace('T', ' '),
      auditRecordId: d.audit_record_id === null ? null : Number(d.audit_record_id),
      sealed: Boolean(seal),
      verificationCode: seal ? verificationCode(seal.signature) : null,
    };
  });
  const money = (k: keyof (typeof items)[number]) => formatYuan(sum((i) => Number(i[k])));
  const lines = templateLines('final-accounts', {
    fiscalYear: row.fiscal_year,
    unitName: row.unit_name,
    departmentName: row.department_name ?? '（无）',
    statusLabel: STATUS_LABELS[row.status as FinalAccountStatus] ?? row.status,
    printedAt: toShanghaiIso(now).slice(0, 16).replace('T', ' '),
    issued: money('issuedFen'),
    adjustedIn: money('adjustedInFen'),
    adjustedOut: money('adjustedOutFen'),
    carriedOut: money('carriedOutFen'),
    budget: money('budgetFen'),
    paid: money('paidFen'),
    frozen: money('frozenFen'),
    balance: money('balanceFen'),
    carryOverTotal: formatYuan(sum((i) => (i.choice === 'carry-over' ? Math.max(0, i.balanceFen) : 0))),
    recoverTotal: formatYuan(sum((i) => (i.choice === 'recover' ? Math.max(0, i.balanceFen) : 0))),
  });
  const { pdf, done } = newDocument({
    Title: `${String(row.fiscal_year)} 年度决算 ${String(row.unit_name)}`,
    Author: String(row.unit_name),
    Subject: '决算',
  });
  let { y, notes } = drawHeader(pdf, lines);
  y += 10;
  for (const note of notes) {
    pdf.font('regular').fontSize(9).fillColor('#444').text(note, LEFT, y, { width: WIDTH });
    y = pdf.y + 3;
  }
  y += 8;
  const table = (
    cols: Array<{ title: string; width: number; align?: 'left' | 'right' | 'center' }>,
    rows: string[][],
    rowHeight: (cells: string[]) => number,
    after?: (x: number, y: number, h: number, i: number) => void,
  ) => {
    const pad = 4;
    const heads = () => {
      let x = LEFT;
      for (const c of cols) {
        pdf.lineWidth(0.8).rect(x, y, c.width, 22).fillAndStroke('#f3f4f6', '#333');
        pdf
          .fillColor('#222')
          .font('bold')
          .fontSize(9)
          .text(c.title, x, y + 6, { width: c.width, align: 'center' });
        x += c.width;
      }
      y += 22;
    };
    heads();
    rows.forEach((cells, i) => {
      pdf.font('regular').fontSize(8.5);
      const h = Math.max(rowHeight(cells), ...cells.map((c, j) => pdf.heightOfString(c, { width: cols[j]!.width - 2 * pad }) + 2 * pad));
      if (y + h > PAGE.height - PAGE.margin) {
        pdf.addPage();
        y = PAGE.margin;
        heads();
      }
      let x = LEFT;
      cells.forEach((c, j) => {
        pdf.lineWidth(0.6).strokeColor('#333').rect(x, y, cols[j]!.width, h).stroke();
        pdf
          .fillColor('#000')
          .font('regular')
          .fontSize(8.5)
          .text(c, x + pad, y + pad, { width: cols[j]!.width - 2 * pad, align: cols[j]!.align ?? 'left' });
        x += cols[j]!.width;
      });
      after?.(x, y, h, i);
      y += h;
    });
  };
  const plain = (f: number) => formatYuan(f).replace('¥', '');
  table(
    [
      { title: '项目', width: 125 },
      { title: '指标数', width: 68, align: 'right' },
      { title: '已支付', width: 68, align: 'right' },
      { title: '冻结', width: 52, align: 'right' },
      { title: '结余', width: 68, align: 'right' },
      { title: '处理', width: 45, align: 'center' },
      { title: '结余说明', width: WIDTH - 125 - 68 - 68 - 52 - 68 - 45 },
    ],
    items.map((i) => [
      `${i.projectNo ? `${i.projectNo}\n` : ''}${i.label}`,
      plain(i.budgetFen),
      plain(i.paidFen),
      plain(i.frozenFen),
      plain(i.balanceFen),
      i.balanceFen > 0 ? (i.choiceLabel ?? '未选择') : '—',
      i.explanation ?? '',
    ]),
    () => 24,
  );
  y += 14;
  if (y + 120 > PAGE.height - PAGE.margin) {
    pdf.addPage();
    y = PAGE.margin;
  }
  const last = WIDTH - 90 - 150 - 100 - 70;
  table(
    [
      { title: '环节', width: 90 },
      { title: '结论与意见', width: 150 },
      { title: '办理人', width: 100 },
      { title: '时间', width: 70 },
      { title: '电子签章', width: last },
    ],
    steps.map((s) => [
      s.step,
      `${s.decision}${s.comment ? `\n${s.comment}` : ''}`,
      `${s.approverName}\n${s.approverOrg}`,
      s.decidedAt.replace(' ', '\n'),
      '',
    ]),
    (cells) => (cells[4] === '' ? 86 : 30),
    (x, top, h, i) => {
      const s = steps[i]!;
      const cellX = x - last;
      if (s.sealed && s.verificationCode) {
        drawSeal(pdf, cellX + last / 2, top + 35, 24, s.approverOrg, s.approverName, { small: true });
        pdf
          .font('bold')
          .fontSize(7)
          .fillColor(RED)
          .text(`核验码 ${spacedCode(s.verificationCode)}`, cellX + 3, top + 63, { width: last - 6, align: 'center' });
      } else {
        pdf
          .font('regular')
          .fontSize(9)
          .fillColor('#888')
          .text('未签章', cellX, top + h / 2 - 6, { width: last, align: 'center' });
      }
      if (s.auditRecordId !== null)
        pdf
          .font('regular')
          .fontSize(6.5)
          .fillColor('#666')
          .text(`审计记录 #${s.auditRecordId}`, cellX + 2, top + 2, { width: last - 4, align: 'right', lineBreak: false });
    },
  );
  if (steps.length === 0)
    pdf
      .font('regular')
      .fontSize(10)
      .fillColor('#555')
      .text('尚无办理记录', LEFT, y + 6, { width: WIDTH, align: 'center' });
  pdf.end();
  return { pdf: await done, filename: `final-accounts-${String(row.fiscal_year)}-${String(row.unit_code ?? id)}.pdf` };
}
