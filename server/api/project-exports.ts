import type * as projects from '../projects/service';
import type { ExportColumn, ExportRequest, PageSource } from './excel-export';

/** 项目库 export: the columns of the project list, in Chinese. */
export function projectExport(source: PageSource<projects.ProjectSummary>): ExportRequest<projects.ProjectSummary> {
  const columns: Array<ExportColumn<projects.ProjectSummary>> = [
    { header: '项目编号', width: 16, type: 'text', value: (p) => p.projectNo },
    { header: '项目名称', width: 40, type: 'text', value: (p) => p.name },
    { header: '预算年度', width: 10, type: 'integer', value: (p) => p.fiscalYear },
    { header: '申报单位', width: 30, type: 'text', value: (p) => p.unitName },
    { header: '项目类别', width: 18, type: 'text', value: (p) => `${p.category} ${p.categoryLabel}` },
    { header: '子类型', width: 10, type: 'text', value: (p) => p.subTypeLabel },
    { header: '功能分类科目', width: 14, type: 'text', value: (p) => p.functionalCode },
    { header: '申报金额（元）', width: 18, type: 'money-fen', value: (p) => p.totalAmountFen },
    { header: '状态', width: 16, type: 'text', value: (p) => p.statusLabel },
    { header: '疑似重复', width: 10, type: 'integer', value: (p) => p.duplicateCount },
    { header: '创建时间', width: 20, type: 'datetime', value: (p) => p.createdAt },
    { header: '更新时间', width: 20, type: 'datetime', value: (p) => p.updatedAt },
  ];
  return { filename: '项目库', asciiFilename: 'projects', sheetName: '项目库', columns, source };
}
