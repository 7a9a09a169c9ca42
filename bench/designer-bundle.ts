import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/**
 * npm run bench:designer-bundle — gzipped JavaScript a browser loads for the inbox (/tasks) and
 * for the process designer (/designer): the entry chunk, the route's lazily loaded chunk and
 * everything they import statically, from the vite manifest of web/dist (built first when it is
 * missing or older than the sources). Fails when the Modeler or its properties panel reaches the
 * inbox: they belong to the designer route's chunk alone.
 */
const ROOT = path.resolve(__dirname, '..');
const WEB = path.join(ROOT, 'web');
const DIST = path.join(WEB, 'dist');
const MANIFEST = path.join(DIST, '.vite', 'manifest.json');

interface Chunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  isEntry?: boolean;
}
type Manifest = Record<string, Chunk>;

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

if (!fs.existsSync(MANIFEST) || fs.statSync(MANIFEST).mtimeMs < newestMtime(WEB)) {
  console.log('web/dist is missing or stale: npm run build:web …');
  const r = spawnSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`npm run build:web failed (exit ${r.status ?? r.signal})`);
}
const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Manifest;

/** The JS files of a route: the entry and the route's view, with their static imports. */
function filesOf(view: string): string[] {
  const seen = new Set<string>();
  const visit = (key: string) => {
    const chunk = manifest[key];
    if (!chunk) throw new Error(`${key} is not in the vite manifest`);
    if (seen.has(chunk.file)) return;
    seen.add(chunk.file);
    for (const i of chunk.imports ?? []) visit(i);
  };
  visit('index.html');
  visit(view);
  return [...seen].filter((f) => f.endsWith('.js'));
}

const gz = (file: string) => zlib.gzipSync(fs.readFileSync(path.join(DIST, file))).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;

// Strings only the Modeler (palette) and the properties panel ship; the read-only viewer has neither.
const MODELER_MARKERS = ['djs-palette', 'bio-properties-panel'];
// dmn-js's decision table editor (loaded by the designer page when its 决策表 tab opens).
const DMN_MARKERS = ['dmn-decision-table-container'];
const DMN_EDITOR = 'src/views/designer/dmn/createDmnEditor.ts';

const routes: Array<[string, string]> = [
  ['/tasks (待办事项)', 'src/views/tasks/TasksView.vue'],
  ['/tasks/:id (办理事项，带只读流程图)', 'src/views/tasks/TaskView.vue'],
  ['/designer (流程设计)', 'src/views/designer/DesignerView.vue'],
];
const has = (files: string[], markers: string[]) =>
  files.filter((f) => markers.some((m) => fs.readFileSync(path.join(DIST, f), 'utf8').includes(m)));
let inboxHasModeler = false;
let inboxHasDmn = false;
let designerFiles: string[] = [];
for (const [route, view] of routes) {
  const files = filesOf(view);
  const bytes = files.reduce((sum, f) => sum + gz(f), 0);
  const modeler = has(files, MODELER_MARKERS);
  const dmn = has(files, DMN_MARKERS);
  if (view.includes('Task') && modeler.length) inboxHasModeler = true;
  if (view.includes('Task') && dmn.length) inboxHasDmn = true;
  if (view.includes('Designer')) designerFiles = files;
  console.log(
    `${route.padEnd(36)} ${kb(bytes).padStart(10)} gzipped JS in ${files.length} files${modeler.length ? `; Modeler/properties panel in ${modeler.join(', ')}` : '; no Modeler, no properties panel'}${dmn.length ? `; dmn-js in ${dmn.join(', ')}` : '; no dmn-js'}`,
  );
}
// The decision table editor: what the 决策表 tab loads on top of the designer route.
const dmnFiles = filesOf(DMN_EDITOR).filter((f) => !designerFiles.includes(f));
const dmnBytes = dmnFiles.reduce((sum, f) => sum + gz(f), 0);
console.log(
  `${'/designer 决策表页签 (dmn-js, import())'.padEnd(36)} ${kb(dmnBytes).padStart(10)} gzipped JS more in ${dmnFiles.length} files${has(dmnFiles, DMN_MARKERS).length ? '' : '; dmn-js NOT found in it'}`,
);
if (has(designerFiles, DMN_MARKERS).length) {
  console.error('dmn-js is in the designer route chunk itself: it must load only when the 决策表 tab opens.');
  process.exit(1);
}
if (inboxHasModeler || inboxHasDmn) {
  console.error('The inbox route loads the Modeler, the properties panel or dmn-js: they must stay in the designer route chunks.');
  process.exit(1);
}
