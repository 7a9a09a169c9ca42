import fs from 'node:fs';
import path from 'node:path';

/**
 * The diagrams people read (the task page, 审核进度) are drawn from the models' own layout (BPMN
 * DI): given each model in processes/, every label has bounds of its own (so the viewer does not
 * guess where to put it), and no label overlaps another label, a shape, or a line it does not
 * belong to.
 */

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Label {
  owner: string;
  box: Box;
}

const PROCESSES = path.join(__dirname, '../../processes');
const num = (s: string, attr: string) => Number(new RegExp(`${attr}="(-?[\\d.]+)"`).exec(s)![1]);
const boxOf = (s: string): Box => ({ x: num(s, 'x'), y: num(s, 'y'), width: num(s, 'width'), height: num(s, 'height') });

function layout(xml: string) {
  const shapes = new Map<string, Box>();
  const labels: Label[] = [];
  const edges = new Map<string, Array<{ x: number; y: number }>>();
  for (const m of xml.matchAll(/<bpmndi:BPMNShape[^>]*bpmnElement="([^"]+)"[^>]*>([\s\S]*?)<\/bpmndi:BPMNShape>/g)) {
    const [, id, body] = m as unknown as [string, string, string];
    const [own, label] = [...body.matchAll(/<dc:Bounds[^>]*\/>/g)].map((b) => boxOf(b[0]));
    shapes.set(id, own!);
    if (label) labels.push({ owner: id, box: label });
  }
  for (const m of xml.matchAll(/<bpmndi:BPMNEdge[^>]*bpmnElement="([^"]+)"[^>]*>([\s\S]*?)<\/bpmndi:BPMNEdge>/g)) {
    const [, id, body] = m as unknown as [string, string, string];
    edges.set(
      id,
      [...body.matchAll(/<di:waypoint[^>]*\/>/g)].map((w) => ({ x: num(w[0], 'x'), y: num(w[0], 'y') })),
    );
    const label = /<bpmndi:BPMNLabel>\s*(<dc:Bounds[^>]*\/>)/.exec(body);
    if (label) labels.push({ owner: id, box: boxOf(label[1]!) });
  }
  return { shapes, labels, edges };
}

const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
/** Whether the segment p–q (the models draw axis-parallel lines) passes through the box's inside. */
function crosses(p: { x: number; y: number }, q: { x: number; y: number }, b: Box): boolean {
  const [x1, x2] = [Math.min(p.x, q.x), Math.max(p.x, q.x)];
  const [y1, y2] = [Math.min(p.y, q.y), Math.max(p.y, q.y)];
  return x1 < b.x + b.width && x2 > b.x && y1 < b.y + b.height && y2 > b.y;
}

describe('diagram layout: labels readable in every model', () => {
  const files = fs.readdirSync(PROCESSES).filter((f) => f.endsWith('.bpmn'));

  test.each(files)('%s: every named event, gateway and flow has label bounds of its own', (file) => {
    const xml = fs.readFileSync(path.join(PROCESSES, file), 'utf8');
    const { labels } = layout(xml);
    const labelled = new Set(labels.map((l) => l.owner));
    const named = [
      ...xml.matchAll(
        /<bpmn:(startEvent|endEvent|intermediateThrowEvent|intermediateCatchEvent|boundaryEvent|exclusiveGateway|parallelGateway|inclusiveGateway|sequenceFlow)\b[^>]*\bid="([^"]+)"[^>]*\bname="[^"]+"/g,
      ),
    ].map((m) => m[2]!);
    expect(named.filter((id) => !labelled.has(id))).toEqual([]);
  });

  test.each(files)('%s: no label overlaps another label, a shape or a line of another element', (file) => {
    const { shapes, labels, edges } = layout(fs.readFileSync(path.join(PROCESSES, file), 'utf8'));
    const problems: string[] = [];
    labels.forEach((a, i) => {
      labels.slice(i + 1).forEach((b) => overlap(a.box, b.box) && problems.push(`label ${a.owner} × label ${b.owner}`));
      for (const [id, box] of shapes) if (id !== a.owner && overlap(a.box, box)) problems.push(`label ${a.owner} × shape ${id}`);
      for (const [id, points] of edges) {
        if (id === a.owner) continue;
        for (let k = 1; k < points.length; k++)
          if (crosses(points[k - 1]!, points[k]!, a.box)) problems.push(`label ${a.owner} × line ${id}`);
      }
    });
    expect(problems).toEqual([]);
  });
});
