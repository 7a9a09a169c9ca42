import ExcelJS from 'exceljs';
import {
  CATEGORY_LABELS,
  DIRECTION_LABELS,
  DIRECTIONS,
  INDICATOR_FRAMEWORK,
  LEVEL1_INDICATORS,
  PROJECT_CATEGORIES,
  PROJECT_SUB_TYPES,
  SUB_TYPE_LABELS,
} from '../../domain/projects';
import { MAX_AMOUNT_LINES, MAX_DESCRIPTION, MAX_TARGETS } from './schemas';

/**
 * The project import template (templates/project-import.md): its sheets and columns, read by the
 * importer (import-workbook.ts) and written into the downloadable workbook, so both always agree.
 * No example rows in the data sheets (a forgotten example would be imported as a project): the
 * examples are on the 说明 sheet.
 */

export interface ColumnSpec {
  key: string;
  header: string;
  /** A column the workbook may leave out (its cells then count as blank). */
  optional?: boolean;
  /** Shown as the header cell's note, and on the 说明 sheet. */
  help: string;
  width: number;
  /** Excel number format of the column: '@' keeps codes as text. */
  numFmt?: string;
  /** Drop-down values offered in Excel (the importer accepts more spellings, see import-cells.ts). */
  list?: readonly string[];
}

export interface SheetSpec {
  name: string;
  columns: readonly ColumnSpec[];
  /** Data rows the sheet may hold. */
  maxRows: number;
}

export const MAX_IMPORT_PROJECTS = 2000;
export const MAX_IMPORT_LINES = 20_000;

const seq: ColumnSpec = {
  key: 'seq',
  header: '序号',
  help: '本文件内的项目序号（如 1、2、3），只用于把金额明细和绩效目标对应到项目；导入后系统另编项目编号',
  width: 8,
  numFmt: '@',
};

export const PROJECT_SHEET = {
  name: '项目',
  maxRows: MAX_IMPORT_PROJECTS,
  columns: [
    { ...seq, help: '项目序号（临时编号），本表内不能重复；金额明细、绩效目标表用它对应到本行项目' },
    { key: 'name', header: '项目名称', help: '2–200 个字；同一单位同一年度的项目在本文件内不能重名', width: 36 },
    { key: 'fiscalYear', header: '预算年度', help: '四位年份，如 2026', width: 10, numFmt: '@' },
    {
      key: 'category',
      header: '项目类别',
      help: `编码或名称：${PROJECT_CATEGORIES.map((c) => `${c} ${CATEGORY_LABELS[c]}`).join('，')}`,
      width: 20,
      list: PROJECT_CATEGORIES.map((c) => CATEGORY_LABELS[c]),
    },
    {
      key: 'subType',
      header: '子类型',
      optional: true,
      help: `可不填；特定目标类项目的地方场景：${PROJECT_SUB_TYPES.map((k) => SUB_TYPE_LABELS[k]).join('、')}`,
      width: 12,
      list: PROJECT_SUB_TYPES.map((k) => SUB_TYPE_LABELS[k]),
    },
    {
      key: 'functionalCode',
      header: '功能分类科目',
      help: '支出功能分类「项」级编码，7 位数字，如 2050204（可写成「2050204 高中教育」）',
      width: 16,
      numFmt: '@',
    },
    { key: 'startDate', header: '实施开始日期', optional: true, help: '可不填；日期，如 2026-03-01', width: 14, numFmt: 'yyyy-mm-dd' },
    { key: 'endDate', header: '实施结束日期', optional: true, help: '可不填；不能早于开始日期', width: 14, numFmt: 'yyyy-mm-dd' },
    { key: 'description', header: '项目概述', help: `必填，最多 ${MAX_DESCRIPTION} 个字`, width: 40 },
    { key: 'basis', header: '立项依据', optional: true, help: `可不填，最多 ${MAX_DESCRIPTION} 个字`, width: 30 },
    {
      key: 'unitCode',
      header: '申报单位编码',
      optional: true,
      help: '组织机构编码，如 150100-JY-001；不填即为您本人所在单位；须在您的数据范围内',
      width: 18,
      numFmt: '@',
    },
  ],
} as const satisfies SheetSpec;

export const AMOUNT_SHEET = {
  name: '金额明细',
  maxRows: MAX_IMPORT_LINES,
  columns: [
    { ...seq, help: '对应「项目」表的序号；每个项目至少一行' },
    {
      key: 'economicCode',
      header: '经济分类科目',
      help: `部门预算支出经济分类「款」级编码，5 位数字，如 30213；同一项目内不能重复；每个项目最多 ${MAX_AMOUNT_LINES} 行`,
      width: 16,
      numFmt: '@',
    },
    {
      key: 'amount',
      header: '金额（元）',
      help: '大于 0，最多两位小数，如 1,234.56；数字或文本均可，超过两位小数的不会被四舍五入，而是报错',
      width: 18,
    },
    { key: 'note', header: '备注', optional: true, help: '可不填，最多 200 个字', width: 30 },
  ],
} as const satisfies SheetSpec;

const LEVEL2_ALL = [...new Set(Object.values(INDICATOR_FRAMEWORK).flat())];

export const TARGET_SHEET = {
  name: '绩效目标',
  maxRows: MAX_IMPORT_LINES,
  columns: [
    { ...seq, help: `对应「项目」表的序号；每个项目最多 ${MAX_TARGETS} 条` },
    { key: 'level1', header: '一级指标', help: LEVEL1_INDICATORS.join('、'), width: 14, list: LEVEL1_INDICATORS },
    { key: 'level2', header: '二级指标', help: '须属于所填的一级指标，见「说明」表', width: 20, list: LEVEL2_ALL },
    { key: 'name', header: '三级指标', help: '衡量什么，如 维修校舍面积；同一项目内不能重复', width: 30 },
    {
      key: 'direction',
      header: '指标方向',
      help: '≥（越多越好）、≤（越少越好）、=、定性',
      width: 10,
      list: DIRECTIONS.map((d) => DIRECTION_LABELS[d]),
    },
    { key: 'targetValue', header: '目标值', help: '定量指标填数字（最多 4 位小数），定性指标写明目标', width: 14 },
    { key: 'unit', header: '计量单位', help: '定量指标必填，如 平方米、人、%；定性指标可不填', width: 10 },
  ],
} as const satisfies SheetSpec;

export const DATA_SHEETS = [PROJECT_SHEET, AMOUNT_SHEET, TARGET_SHEET] as const;
export const GUIDE_SHEET = '说明';
export const TEMPLATE_FILE_NAME = '项目导入模板.xlsx';

/** The workbook a clerk downloads: 说明 first, then the three data sheets with headers only. */
export async function buildImportTemplate(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '预算项目全生命周期管理平台';
  writeGuide(wb.addWorksheet(GUIDE_SHEET));
  for (const spec of DATA_SHEETS) writeDataSheet(wb.addWorksheet(spec.name), spec);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

function writeDataSheet(ws: ExcelJS.Worksheet, spec: SheetSpec): void {
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  const header = ws.getRow(1);
  spec.columns.forEach((col, i) => {
    const c = i + 1;
    const column = ws.getColumn(c);
    column.width = col.width;
    if (col.numFmt) column.numFmt = col.numFmt;
    const cell = header.getCell(c);
    cell.value = col.header;
    cell.numFmt = 'General';
    cell.font = { bold: true, color: { argb: col.optional ? 'FF606266' : 'FFC0392B' } };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F6FC' } };
    cell.note = `${col.optional ? '选填' : '必填'}：${col.help}`;
    if (col.list) {
      const letter = column.letter;
      addValidation(ws, `${letter}2:${letter}${spec.maxRows + 1}`, {
        type: 'list',
        allowBlank: true,
        formulae: [`"${col.list.join(',')}"`],
        showErrorMessage: true,
        // A warning, not a stop: the importer also accepts codes (33) and other spellings (>=).
        errorStyle: 'warning',
        errorTitle: col.header,
        error: `建议从下拉列表中选择：${col.list.join('、')}`,
      });
    }
  });
}

/**
 * exceljs writes a validation for a whole range (one XML element) when the model key is a range,
 * but types only the per-cell setter, which would create every cell of 2,000 rows.
 */
function addValidation(ws: ExcelJS.Worksheet, range: string, validation: ExcelJS.DataValidation): void {
  (ws as unknown as { dataValidations: { add(address: string, v: ExcelJS.DataValidation): void } }).dataValidations.add(range, validation);
}

function writeGuide(ws: ExcelJS.Worksheet): void {
  ws.getColumn(1).width = 16;
  ws.getColumn(2).width = 18;
  ws.getColumn(3).width = 8;
  ws.getColumn(4).width = 90;
  const title = (text: string) => {
    const row = ws.addRow([text]);
    row.font = { bold: true, size: 12 };
  };
  const line = (...cells: string[]) => ws.addRow(cells);

  title('项目批量导入说明');
  line('1', '在「项目」表每行填写一个项目，在「金额明细」表按经济分类逐行填写金额，在「绩效目标」表逐行填写指标；三张表用「序号」对应。');
  line('2', '请勿修改工作表名称和表头（第 1 行）；列的顺序可以调整，选填列可以删除。数据从第 2 行开始，空行会被跳过。');
  line(
    '3',
    `整个文件一次导入：只要有一处错误，就不导入任何项目，并按「工作表、行、列」列出全部错误，改正后重新导入即可。每个文件最多 ${MAX_IMPORT_PROJECTS} 个项目。`,
  );
  line(
    '4',
    '导入的项目为「草稿」，可在项目库中继续修改、上传附件后送审。与本单位同年度已有项目相似的，会标记为疑似重复申报，供审核人员核实。',
  );
  line(
    '5',
    '金额以元为单位，最多两位小数，可写成 1,234.56 或数字；超过两位小数的金额不会被四舍五入，而是报错（单元格显示两位小数时，实际值可能更多）。',
  );
  line('6', '编码（功能分类、经济分类、申报单位）请按文本填写；科目须存在于该预算年度的科目表中。');
  ws.addRow([]);

  title('各列说明（红色表头为必填列）');
  line('工作表', '列', '必填', '说明').font = { bold: true };
  for (const spec of DATA_SHEETS) {
    for (const col of spec.columns as readonly ColumnSpec[]) line(spec.name, col.header, col.optional ? '' : '是', col.help);
  }
  ws.addRow([]);

  title('允许的取值');
  line('项目类别', '', '', PROJECT_CATEGORIES.map((c) => `${c} ${CATEGORY_LABELS[c]}`).join('；'));
  line('子类型', '', '', PROJECT_SUB_TYPES.map((k) => SUB_TYPE_LABELS[k]).join('、'));
  for (const level1 of LEVEL1_INDICATORS) line('一级 → 二级指标', level1, '', INDICATOR_FRAMEWORK[level1].join('、'));
  line('指标方向', '', '', '≥ 越多越好；≤ 越少越好；= 等于；定性 文字描述的目标（计量单位可不填）');
  ws.addRow([]);

  title('示例（请勿在数据表中保留示例行）');
  line(
    '项目',
    '',
    '',
    '序号 1 ｜ 呼和浩特市第一中学教学楼维修改造项目 ｜ 2026 ｜ 其他特定目标类项目 ｜（子类型不填）｜ 2050204 ｜ 2026-03-01 ｜ 2026-08-31 ｜ 对教学楼屋面防水和外墙进行维修 ｜ 《中小学校舍安全保障长效机制实施方案》｜（申报单位不填）',
  );
  line('金额明细', '', '', '序号 1 ｜ 30213 ｜ 1,250,000.00 ｜（备注不填）');
  line('金额明细', '', '', '序号 1 ｜ 30201 ｜ 3000 ｜ 资料印制');
  line('绩效目标', '', '', '序号 1 ｜ 产出指标 ｜ 数量指标 ｜ 维修校舍面积 ｜ ≥ ｜ 3200 ｜ 平方米');
  line('绩效目标', '', '', '序号 1 ｜ 效益指标 ｜ 社会效益指标 ｜ 受益学生人数 ｜ ≥ ｜ 1800 ｜ 人');
  line('绩效目标', '', '', '序号 1 ｜ 满意度指标 ｜ 服务对象满意度指标 ｜ 师生满意度 ｜ ≥ ｜ 90 ｜ %');
  ws.getColumn(4).alignment = { wrapText: true, vertical: 'top' };
}
