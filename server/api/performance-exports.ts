import type { EvaluationResultRow } from '../performance/evaluation';
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
