import PDFDocument from 'pdfkit';
import type { EvaluationReport } from '../performance/evaluation';
import { approvalText, projectApprovalText, templateLines, type ApprovalDocument, type ProjectApprovalDocument } from './approval';

/**
 * Lays out an approval document (审批单) with pdfkit: the template's text in Noto Sans SC — the
 * OFL font shipped by the @expo-google-fonts/noto-sans-sc package, embedded and subset by pdfkit
 * to the glyphs used (a document is about 40 KB), never a font found on the machine — and, for a
 * sealed decision, a drawn red round seal: double ring, five-pointed star, the signer's
 * organisation around the upper arc and the signer's name under the star.
 */
export const FONT_REGULAR = require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf');
export const FONT_BOLD = require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf');

export const RED = '#d81e06';
export const PAGE = { width: 595.28, height: 841.89, margin: 56 };

export function newDocument(info: PDFKit.DocumentInfo): { pdf: PDFKit.PDFDocument; done: Promise<Buffer> } {
  const pdf = new PDFDocument({ size: 'A4', margin: PAGE.margin, info: { ...info, Creator: '预算项目全生命周期管理平台' } });
  pdf.registerFont('regular', FONT_REGULAR);
  pdf.registerFont('bold', FONT_BOLD);
  const chunks: Buffer[] = [];
  pdf.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  return { pdf, done };
}

export const LEFT = PAGE.margin;
export const WIDTH = PAGE.width - 2 * PAGE.margin;

/**
 * The template's lines: "# " the title, a plain line a subtitle, "- 标签：值" rows of the ruled
 * details table (drawn here), "> " notes (returned, for the caller to place). Returns where the
 * page continues.
 */
export function drawHeader(pdf: PDFKit.PDFDocument, lines: string[]): { y: number; notes: string[] } {
  let y = PAGE.margin;
  const rows: Array<[string, string]> = [];
  const notes: string[] = [];
  for (const line of lines) {
    if (line.startsWith('# ')) {
      pdf.font('bold').fontSize(22).fillColor('#000').text(line.slice(2), LEFT, y, { width: WIDTH, align: 'center', characterSpacing: 4 });
      y = pdf.y + 6;
    } else if (line.startsWith('- ')) {
      const i = line.indexOf('：');
      rows.push(i > 0 ? [line.slice(2, i), line.slice(i + 1)] : ['', line.slice(2)]);
    } else if (line.startsWith('> ')) {
      notes.push(line.slice(2));
    } else {
      pdf.font('regular').fontSize(11).fillColor('#555').text(line, LEFT, y, { width: WIDTH, align: 'center' });
      y = pdf.y + 14;
    }
  }
  // The details table: label column, value column, ruled.
  const labelWidth = 96;
  const pad = 8;
  pdf.lineWidth(0.8).strokeColor('#333');
  const tableTop = y;
  for (const [label, value] of rows) {
    pdf.font('regular').fontSize(11.5);
    const h = Math.max(28, pdf.heightOfString(value, { width: WIDTH - labelWidth - 2 * pad }) + 2 * pad);
    pdf.rect(LEFT, y, labelWidth, h).fillAndStroke('#f3f4f6', '#333');
    pdf.rect(LEFT + labelWidth, y, WIDTH - labelWidth, h).stroke();
    pdf
      .fillColor('#222')
      .font('bold')
      .fontSize(11.5)
      .text(label, LEFT + pad, y + (h - 14) / 2, { width: labelWidth - 2 * pad, align: 'center' });
    pdf
      .fillColor('#000')
      .font('regular')
      .fontSize(11.5)
      .text(value, LEFT + labelWidth + pad, y + pad, { width: WIDTH - labelWidth - 2 * pad });
    y += h;
  }
  pdf
    .rect(LEFT, tableTop, WIDTH, y - tableTop)
    .lineWidth(1.4)
    .stroke();
  return { y, notes };
}

export const spacedCode = (code: string) => code.toUpperCase().replace(/(.{4})(?!$)/g, '$1 ');

export function renderApprovalPdf(doc: ApprovalDocument): Promise<Buffer> {
  const { pdf, done } = newDocument({
    Title: `预算项目审批单 ${doc.projectNo}`,
    Author: doc.approverOrg,
    Subject: `${doc.step}：${doc.decision}`,
  });
  let { y, notes } = drawHeader(pdf, approvalText(doc));
  // Notes on the left, the seal on the right below the table (clear of the text, so the text
  // extracts cleanly and the seal is not read as part of a value).
  const r = 62;
  y += 18;
  const sealTop = y;
  const noteWidth = doc.sealed ? WIDTH - 2 * r - 28 : WIDTH;
  for (const note of notes) {
    pdf.font('regular').fontSize(9.5).fillColor('#444').text(note, LEFT, y, { width: noteWidth });
    y = pdf.y + 5;
  }
  if (doc.verificationCode) {
    pdf
      .font('bold')
      .fontSize(13)
      .fillColor(RED)
      .text(`核验码 ${spacedCode(doc.verificationCode)}`, LEFT, y + 6, { width: noteWidth });
    y = pdf.y;
  }
  if (doc.sealed) drawSeal(pdf, LEFT + WIDTH - r - 6, sealTop + r + 4, r, doc.approverOrg, doc.approverName);
  pdf.end();
  return done;
}

/**
 * 项目审批表: the project's details, then one row per completed step — 环节, 结论 and 意见,
 * 审批人, 时间, and the seal: a small red round seal with the verification code under it, or
 * 未签章. Rows continue on a new page (with the column heads again) when the page is full.
 */
export function renderProjectApprovalPdf(doc: ProjectApprovalDocument): Promise<Buffer> {
  const { pdf, done } = newDocument({ Title: `预算项目审批表 ${doc.projectNo}`, Author: doc.unitName, Subject: doc.projectName });
  let { y, notes } = drawHeader(pdf, projectApprovalText(doc));
  y += 12;
  for (const note of notes) {
    pdf.font('regular').fontSize(9).fillColor('#444').text(note, LEFT, y, { width: WIDTH });
    y = pdf.y + 3;
  }
  y += 10;
  const cols = [
    { title: '审批环节', width: 92 },
    { title: '结论与意见', width: 150 },
    { title: '审批人', width: 90 },
    { title: '办结时间', width: 68 },
    { title: '电子签章', width: WIDTH - 92 - 150 - 90 - 68 },
  ];
  const pad = 5;
  const heads = () => {
    let x = LEFT;
    pdf.lineWidth(0.8).strokeColor('#333');
    for (const c of cols) {
      pdf.rect(x, y, c.width, 24).fillAndStroke('#f3f4f6', '#333');
      pdf
        .fillColor('#222')
        .font('bold')
        .fontSize(10)
        .text(c.title, x, y + 7, { width: c.width, align: 'center' });
      x += c.width;
    }
    y += 24;
  };
  heads();
  if (doc.steps.length === 0) {
    pdf.rect(LEFT, y, WIDTH, 30).stroke();
    pdf
      .fillColor('#555')
      .font('regular')
      .fontSize(10)
      .text('尚无已办结的审批环节', LEFT, y + 9, { width: WIDTH, align: 'center' });
    y += 30;
  }
  for (const st of doc.steps) {
    const cells = [
      `${st.step}\n${st.processName}`,
      `${st.decision}${st.comment ? `\n${st.comment}` : ''}`,
      `${st.approverName}\n${st.approverOrg}`,
      st.completedAt.replace(' ', '\n'),
    ];
    pdf.font('regular').fontSize(9.5);
    const textHeight = Math.max(...cells.map((c, i) => pdf.heightOfString(c, { width: cols[i]!.width - 2 * pad })));
    const h = Math.max(st.sealed ? 90 : 40, textHeight + 2 * pad);
    if (y + h > PAGE.height - PAGE.margin) {
      pdf.addPage();
      y = PAGE.margin;
      heads();
    }
    let x = LEFT;
    cells.forEach((c, i) => {
      pdf.lineWidth(0.8).strokeColor('#333').rect(x, y, cols[i]!.width, h).stroke();
      pdf
        .fillColor('#000')
        .font('regular')
        .fontSize(9.5)
        .text(c, x + pad, y + pad, { width: cols[i]!.width - 2 * pad });
      x += cols[i]!.width;
    });
    const last = cols[4]!;
    pdf.lineWidth(0.8).strokeColor('#333').rect(x, y, last.width, h).stroke();
    if (st.sealed && st.verificationCode) {
      drawSeal(pdf, x + last.width / 2, y + 37, 24, st.approverOrg, st.approverName, { small: true });
      pdf
        .font('bold')
        .fontSize(7.5)
        .fillColor(RED)
        .text(`核验码 ${spacedCode(st.verificationCode)}`, x + 4, y + 64, { width: last.width - 8, align: 'center' });
    } else {
      pdf
        .font('regular')
        .fontSize(9.5)
        .fillColor('#888')
        .text('未签章', x, y + h / 2 - 6, { width: last.width, align: 'center' });
    }
    if (st.auditRecordId !== null)
      pdf
        .font('regular')
        .fontSize(7)
        .fillColor('#666')
        .text(`审计记录 #${st.auditRecordId}`, x + 2, y + 2, { width: last.width - 4, align: 'right', lineBreak: false });
    y += h;
  }
  pdf.end();
  return done;
}

export function drawSeal(
  pdf: PDFKit.PDFDocument,
  cx: number,
  cy: number,
  r: number,
  orgName: string,
  signerName: string,
  options: { small?: boolean } = {},
): void {
  const k = options.small ? r / 62 : 1; // a small seal keeps the proportions of the large one
  pdf.save();
  pdf.fillOpacity(0.88).strokeOpacity(0.88);
  pdf
    .lineWidth(3.2 * k)
    .strokeColor(RED)
    .circle(cx, cy, r)
    .stroke();
  pdf
    .lineWidth(0.8 * k)
    .circle(cx, cy, r - 5 * k)
    .stroke();

  // Five-pointed star, point up, a little above the centre.
  const sx = cx;
  const sy = cy - r * 0.04;
  const outer = r * 0.27;
  const inner = outer * 0.382;
  const points: Array<[number, number]> = [];
  for (let i = 0; i < 10; i++) {
    const a = (Math.PI / 5) * i - Math.PI / 2;
    const rad = i % 2 === 0 ? outer : inner;
    points.push([sx + rad * Math.cos(a), sy + rad * Math.sin(a)]);
  }
  pdf.polygon(...points).fill(RED);

  // The organisation's name along the upper arc, each character upright to the circle.
  const chars = [...orgName];
  const size = (chars.length > 14 ? 11 : 13.5) * k;
  const rim = r - 9 * k; // the tops of the characters, clear of the inner ring
  const step = Math.min((size * 1.22) / (rim - size / 2), (Math.PI * 1.4) / Math.max(1, chars.length - 1));
  const span = step * (chars.length - 1);
  pdf.font('bold').fontSize(size).fillColor(RED);
  chars.forEach((ch, i) => {
    const theta = -span / 2 + i * step; // from 12 o'clock, clockwise
    pdf.save();
    pdf.translate(cx + rim * Math.sin(theta), cy - rim * Math.cos(theta));
    pdf.rotate((theta * 180) / Math.PI);
    pdf.text(ch, -pdf.widthOfString(ch) / 2, 0, { lineBreak: false });
    pdf.restore();
  });

  // The signer's name, horizontal, under the star.
  const nameSize = (signerName.length > 4 ? 11 : 13) * k;
  pdf.font('bold').fontSize(nameSize).fillColor(RED);
  pdf.text(signerName, cx - pdf.widthOfString(signerName) / 2, cy + r * 0.3, { lineBreak: false, characterSpacing: k });
  pdf.restore();
}

/**
 * 绩效评价报告: the result's details (text from templates/documents/performance-report.hbs), the
 * score per indicator as a table, and the seal of 绩效处's sealed review (the review task's
 * completion record in the audit chain, as on the approval document).
 */
export function renderEvaluationReportPdf(report: EvaluationReport, review: ApprovalDocument | null): Promise<Buffer> {
  const { pdf, done } = newDocument({
    Title: `项目绩效评价报告 ${report.projectNo}`,
    Author: review?.approverOrg ?? report.unitName,
    Subject: `${report.fiscalYear} 年度绩效评价：${report.grade}`,
  });
  const sealed = Boolean(review?.sealed);
  let { y, notes } = drawHeader(
    pdf,
    templateLines('performance-report', {
      ...report,
      sealed,
      auditRecordId: review?.auditRecordId,
      verificationCode: review?.verificationCode,
    }),
  );
  y += 14;
  const cols = [
    { title: '指标', width: 128 },
    { title: '目标值', width: 84 },
    { title: '实际值', width: 74 },
    { title: '分值', width: 44 },
    { title: '得分', width: 44 },
    { title: '调整理由', width: WIDTH - 374 },
  ];
  const pad = 4;
  const row = (cells: string[], head = false) => {
    pdf.font(head ? 'bold' : 'regular').fontSize(9);
    const h = Math.max(20, ...cells.map((c, i) => pdf.heightOfString(c, { width: cols[i]!.width - 2 * pad }) + 2 * pad));
    if (y + h > PAGE.height - PAGE.margin) {
      pdf.addPage();
      y = PAGE.margin;
    }
    let x = LEFT;
    cells.forEach((c, i) => {
      if (head) pdf.rect(x, y, cols[i]!.width, h).fillAndStroke('#f3f4f6', '#333');
      else pdf.lineWidth(0.8).strokeColor('#333').rect(x, y, cols[i]!.width, h).stroke();
      pdf
        .fillColor('#000')
        .font(head ? 'bold' : 'regular')
        .fontSize(9)
        .text(c, x + pad, y + pad, { width: cols[i]!.width - 2 * pad });
      x += cols[i]!.width;
    });
    y += h;
  };
  row(
    cols.map((c) => c.title),
    true,
  );
  row(['预算执行率', '—', report.executionRate, report.executionWeight, report.executionScore, '']);
  for (const i of report.indicators) row([`${i.name}\n${i.level}`, i.target, i.actual, i.weight, i.score, i.reason ?? '']);
  const r = 56;
  if (y + 2 * r + 40 > PAGE.height - PAGE.margin) {
    pdf.addPage();
    y = PAGE.margin;
  }
  y += 16;
  const sealTop = y;
  const noteWidth = sealed ? WIDTH - 2 * r - 28 : WIDTH;
  for (const note of notes) {
    pdf.font('regular').fontSize(9.5).fillColor('#444').text(note, LEFT, y, { width: noteWidth });
    y = pdf.y + 5;
  }
  if (sealed && review) {
    if (review.verificationCode)
      pdf
        .font('bold')
        .fontSize(12)
        .fillColor(RED)
        .text(`核验码 ${spacedCode(review.verificationCode)}`, LEFT, y + 6, { width: noteWidth });
    drawSeal(pdf, LEFT + WIDTH - r - 6, sealTop + r + 4, r, review.approverOrg, review.approverName);
  }
  pdf.end();
  return done;
}
