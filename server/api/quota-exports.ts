import type { Knex } from 'knex';
import { ENTRY_KIND_LABELS } from '../../domain/ledger';
import type * as ledger from '../ledger/service';
import { safeFilePart, type ExportColumn, type ExportRequest, type PageSource } from './excel-export';

/** What the 指标账 exports hold: the columns of the list and of the journal, in Chinese. */

/** 指标台账: one row per quota, with the unit's name looked up per page (one query a page). */
export function quotaExport(db: Knex, source: PageSource<ledger.Quota>): ExportRequest<ledger.Quota> {
  const unitNames = new Map<number, string>();
  const columns: Array<ExportColumn<ledger.Quota>> = [
    { header: '指标编号', width: 18, type: 'text', value: (q) => q.quotaNo },
    { header: '预算年度', width: 10, type: 'integer', value: (q) => q.fiscalYear },
    {
      header: '预算单位',
      width: 30,
      type: 'text',
      value: (q) => (q.unitOrgId === null ? '' : (unitNames.get(q.unitOrgId) ?? `#${q.unitOrgId}`)),
    },
    { header: '项目编号', width: 10, type: 'integer', value: (q) => q.projectId },
    { header: '功能分类科目', width: 14, type: 'text', value: (q) => q.functionalCode },
    { header: '经济分类科目', width: 14, type: 'text', value: (q) => q.economicCode },
    { header: '资金来源', width: 16, type: 'text', value: (q) => q.fundSource },
    { header: '指标文号', width: 22, type: 'text', value: (q) => q.documentNo },
    { header: '额度（元）', width: 16, type: 'money-fen', value: (q) => q.amountFen },
    { header: '已用（元）', width: 16, type: 'money-fen', value: (q) => q.usedFen },
    { header: '冻结（元）', width: 16, type: 'money-fen', value: (q) => q.frozenFen },
    { header: '可用（元）', width: 16, type: 'money-fen', value: (q) => q.availableFen },
    { header: '来源指标', width: 10, type: 'integer', value: (q) => q.sourceQuotaId },
    { header: '创建时间', width: 20, type: 'datetime', value: (q) => q.createdAt },
    { header: '更新时间', width: 20, type: 'datetime', value: (q) => q.updatedAt },
  ];
  return {
    filename: '指标台账',
    asciiFilename: 'quotas',
    sheetName: '指标台账',
    columns,
    source,
    preparePage: async (items) => {
      const ids = [...new Set(items.map((q) => q.unitOrgId).filter((id): id is number => id !== null && !unitNames.has(id)))];
      if (ids.length === 0) return;
      const rows = (await db('organisations').whereIn('id', ids).select('id', 'name')) as Array<{ id: number; name: string }>;
      for (const r of rows) unitNames.set(Number(r.id), r.name);
    },
  };
}

/** 指标流水 of one quota: every journal entry with the balance after it. */
export function journalExport(quota: ledger.Quota, source: PageSource<ledger.JournalEntry>): ExportRequest<ledger.JournalEntry> {
  const columns: Array<ExportColumn<ledger.JournalEntry>> = [
    { header: '流水号', width: 10, type: 'integer', value: (e) => e.id },
    { header: '时间', width: 20, type: 'datetime', value: (e) => e.createdAt },
    { header: '类型', width: 8, type: 'text', value: (e) => ENTRY_KIND_LABELS[e.kind] },
    { header: '金额（元）', width: 16, type: 'money-fen', value: (e) => e.amountFen },
    { header: '变动后额度（元）', width: 18, type: 'money-fen', value: (e) => e.balanceAfter.amountFen },
    { header: '变动后已用（元）', width: 18, type: 'money-fen', value: (e) => e.balanceAfter.usedFen },
    { header: '变动后冻结（元）', width: 18, type: 'money-fen', value: (e) => e.balanceAfter.frozenFen },
    { header: '变动后可用（元）', width: 18, type: 'money-fen', value: (e) => e.balanceAfter.availableFen },
    { header: '对方指标', width: 10, type: 'integer', value: (e) => e.counterpartQuotaId },
    { header: '业务类型', width: 16, type: 'text', value: (e) => e.referenceType },
    { header: '业务编号', width: 16, type: 'text', value: (e) => e.referenceId },
    { header: '经办人', width: 14, type: 'text', value: (e) => e.actorName ?? e.actor },
    { header: '事由', width: 40, type: 'text', value: (e) => e.reason },
  ];
  return {
    filename: `指标流水-${safeFilePart(quota.quotaNo)}`,
    asciiFilename: `quota-${quota.id}-journal`,
    sheetName: '指标流水',
    columns,
    source,
  };
}
