import type { EvaluationResultRow } from '../performance/evaluation';
import type { ReportSummary } from '../performance/monitoring';
import type { ExportColumn, ExportRequest, PageSource } from './excel-export';

/** 评价结果: one row per evaluation, the score of each part and the grade, in Chinese. */
export function evaluationResultsExport(source: PageSource<EvaluationResultRow>): ExportRequest<EvaluationResultRow> {
  const columns: Array<ExportColumn<EvaluationResultRow>> = [
    { header: '评价年度', width: 10, type: 'integer', value: (r) => r.fiscalYear },
    { header: '项目编号', width: 16, type: 'text', value: (r) => r.projectNo },
    { header: '项目名称', width: 36, type: 'text', value: (r) => r.projectName },
    { header: '预算单位', width: 30, type: 'text', value: (r) => r.unitName },
    { header: '评价状态', width: 12, type: 'text', value: (r) => r.statusLabel },
    // basis points shown as a percent with 2 decimals (6753 → 67.53)
    { header: '预算执行率（%）', width: 14, type: 'centi', value: (r) => r.executionRateBasisPoints },
    { header: '预算执行率得分', width: 14, type: 'centi', value: (r) => r.executionCenti },
    { header: '产出指标得分', width: 14, type: 'centi', value: (r) => r.outputCenti },
    { header: '效益指标得分', width: 14, type: 'centi', value: (r) => r.benefitCenti },
    { header: '满意度指标得分', width: 14, type: 'centi', value: (r) => r.satisfactionCenti },
    { header: '自评得分', width: 10, type: 'centi', value: (r) => r.selfCenti },
    { header: '审核得分', width: 10, type: 'centi', value: (r) => r.reviewedCenti },
    { header: '专家评价得分', width: 12, type: 'centi', value: (r) => r.externalCenti },
    { header: '最终得分', width: 10, type: 'centi', value: (r) => r.finalCenti },
    { header: '评价等级', width: 10, type: 'text', value: (r) => r.gradeLabel },
    { header: '评定时间', width: 20, type: 'datetime', value: (r) => r.gradedAt },
  ];
  return { filename: '绩效评价结果', asciiFilename: 'performance-results', sheetName: '评价结果', columns, source };
}

/** A percent or points with two decimals (67.53) as hundredths (6753) for a 'centi' column. */
const centi = (x: number | null | undefined) => (x === null || x === undefined ? null : Math.round(x * 100));

/**
 * 绩效监控 reports (the quarterly list, or with 只看偏差 the deviation list): one row per report,
 * the ledger's figures as of filing in 元 from integer fen, the deviation and 整改 due date.
 */
export function monitoringReportsExport(source: PageSource<ReportSummary>, deviationOnly: boolean): ExportRequest<ReportSummary> {
  const columns: Array<ExportColumn<ReportSummary>> = [
    { header: '年度', width: 8, type: 'integer', value: (r) => r.fiscalYear },
    { header: '季度', width: 8, type: 'integer', value: (r) => r.quarter },
    { header: '项目编号', width: 16, type: 'text', value: (r) => r.projectNo },
    { header: '项目名称', width: 36, type: 'text', value: (r) => r.projectName },
    { header: '预算单位', width: 30, type: 'text', value: (r) => r.unitName },
    { header: '报告状态', width: 12, type: 'text', value: (r) => r.statusLabel },
    { header: '执行情况截止日期', width: 16, type: 'text', value: (r) => r.asOf },
    { header: '预算（元）', width: 16, type: 'money-fen', value: (r) => r.figures?.budgetFen },
    { header: '冻结（元）', width: 14, type: 'money-fen', value: (r) => r.figures?.frozenFen },
    { header: '已支付（元）', width: 16, type: 'money-fen', value: (r) => r.figures?.paidFen },
    { header: '可用（元）', width: 16, type: 'money-fen', value: (r) => r.figures?.availableFen },
    { header: '预算执行率（%）', width: 14, type: 'centi', value: (r) => centi(r.figures?.executionPercent) },
    { header: '时间进度（%）', width: 14, type: 'centi', value: (r) => centi(r.figures?.timePercent) },
    { header: '偏差（百分点）', width: 14, type: 'centi', value: (r) => centi(r.figures?.gapPoints) },
    { header: '偏差级别', width: 10, type: 'text', value: (r) => r.deviationLabel },
    { header: '偏差原因', width: 50, type: 'text', value: (r) => (r.deviationReasons.length ? r.deviationReasons.join('；') : null) },
    { header: '整改期限', width: 12, type: 'text', value: (r) => r.rectificationDue },
    { header: '填报时间', width: 20, type: 'datetime', value: (r) => r.submittedAt },
  ];
  return deviationOnly
    ? { filename: '绩效监控偏差清单', asciiFilename: 'monitoring-deviations', sheetName: '偏差清单', columns, source }
    : { filename: '绩效监控报告', asciiFilename: 'monitoring-reports', sheetName: '监控报告', columns, source };
}
