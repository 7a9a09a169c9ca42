import PDFDocument from 'pdfkit';
import { approvalText, type ApprovalDocument } from './approval';

/**
 * Lays out an approval document (审批单) with pdfkit: the template's text in Noto Sans SC — the
 * OFL font shipped by the @expo-google-fonts/noto-sans-sc package, embedded and subset by pdfkit
 * to the glyphs used (a document is about 40 KB), never a font found on the machine — and, for a
 * sealed decision, a drawn red round seal: double ring, five-pointed star, the signer's
 * organisation around the upper arc and the signer's name under the star.
 */
export const FONT_REGULAR = require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf');
export const FONT_BOLD = require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf');

const RED = '#d81e06';
const PAGE = { width: 595.28, height: 841.89, margin: 56 };

export function renderApprovalPdf(doc: ApprovalDocument): Promise<Buffer> {
  const pdf = new PDFDocument({ size: 'A4', margin: PAGE.margin, info: { Title: `预算项目审批单 ${doc.projectNo}`, Author: doc.approverOrg, Subject: `${doc.step}：${doc.decision}`, Creator: '预算项目全生命周期管理平台' } });
  pdf.registerFont('regular', FONT_REGULAR);
  pdf.registerFont('bold', FONT_BOLD);
  const chunks: Buffer[] = [];
  pdf.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });

  const left = PAGE.margin;
  const width = PAGE.width - 2 * PAGE.margin;
  let y = PAGE.margin;
  const rows: Array<[string, string]> = [];
  const notes: string[] = [];
  for (const line of approvalText(doc)) {
    if (line.startsWith('# ')) {
      pdf.font('bold').fontSize(22).fillColor('#000').text(line.slice(2), left, y, { width, align: 'center', characterSpacing: 4 });
      y = pdf.y + 6;
    } else if (line.startsWith('- ')) {
      const i = line.indexOf('：');
      rows.push(i > 0 ? [line.slice(2, i), line.slice(i + 1)] : ['', line.slice(2)]);
    } else if (line.startsWith('> ')) {
      notes.push(line.slice(2));
    } else {
      pdf.font('regular').fontSize(11).fillColor('#555').text(line, left, y, { width, align: 'center' });
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
    const h = Math.max(28, pdf.heightOfString(value, { width: width - labelWidth - 2 * pad }) + 2 * pad);
    pdf.rect(left, y, labelWidth, h).fillAndStroke('#f3f4f6', '#333');
    pdf.rect(left + labelWidth, y, width - labelWidth, h).stroke();
    pdf.fillColor('#222').font('bold').fontSize(11.5).text(label, left + pad, y + (h - 14) / 2, { width: labelWidth - 2 * pad, align: 'center' });
    pdf.fillColor('#000').font('regular').fontSize(11.5).text(value, left + labelWidth + pad, y + pad, { width: width - labelWidth - 2 * pad });
    y += h;
  }
  pdf.rect(left, tableTop, width, y - tableTop).lineWidth(1.4).stroke();

  // Notes on the left, the seal on the right below the table (clear of the text, so the text
  // extracts cleanly and the seal is not read as part of a value).
  const r = 62;
  y += 18;
  const sealTop = y;
  const noteWidth = doc.sealed ? width - 2 * r - 28 : width;
  for (const note of notes) {
    pdf.font('regular').fontSize(9.5).fillColor('#444').text(note, left, y, { width: noteWidth });
    y = pdf.y + 5;
  }
  if (doc.verificationCode) {
    pdf.font('bold').fontSize(13).fillColor(RED).text(`核验码 ${doc.verificationCode.toUpperCase().replace(/(.{4})(?!$)/g, '$1 ')}`, left, y + 6, { width: noteWidth });
    y = pdf.y;
  }
  if (doc.sealed) drawSeal(pdf, left + width - r - 6, sealTop + r + 4, r, doc.approverOrg, doc.approverName);
  pdf.end();
  return done;
}

function drawSeal(pdf: PDFKit.PDFDocument, cx: number, cy: number, r: number, orgName: string, signerName: string): void {
  pdf.save();
  pdf.fillOpacity(0.88).strokeOpacity(0.88);
  pdf.lineWidth(3.2).strokeColor(RED).circle(cx, cy, r).stroke();
  pdf.lineWidth(0.8).circle(cx, cy, r - 5).stroke();

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
  const size = chars.length > 14 ? 11 : 13.5;
  const rim = r - 9; // the tops of the characters, clear of the inner ring
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
  const nameSize = signerName.length > 4 ? 11 : 13;
  pdf.font('bold').fontSize(nameSize).fillColor(RED);
  pdf.text(signerName, cx - pdf.widthOfString(signerName) / 2, cy + r * 0.3, { lineBreak: false, characterSpacing: 1 });
  pdf.restore();
}
