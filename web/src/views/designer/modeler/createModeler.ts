import Modeler from 'bpmn-js/lib/Modeler';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule } from 'bpmn-js-properties-panel';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import type { DesignerCatalogue, LintProblem } from '../../../api/designer';
import type { ElementChange } from '../diff/modelDiff';
import CatalogueSelectModule from './catalogue-select';
import TranslateModule from './translate';

/**
 * 本页的 bpmn-js：建模器带 Camunda Platform 属性面板、中文标签与目录下拉框；只读查看器画版本差异。
 * 只有流程设计页的路由块引用本文件（见 bench/designer-bundle.ts）。
 */
interface Canvas {
  addMarker(id: string, marker: string): void;
  removeMarker(id: string, marker: string): void;
  zoom(scale: 'fit-viewport', center?: 'auto'): number;
  scrollToElement(element: unknown): void;
}
interface ElementRegistry {
  get(id: string): unknown;
}
interface Overlays {
  add(id: string, type: string, overlay: { position: { top?: number; right?: number; left?: number }; html: string | HTMLElement }): string;
  remove(filter: { type: string }): void;
}
interface Selection {
  select(element: unknown): void;
}

const camunda = camundaModdle as unknown as Record<string, never>;

export interface DesignerModeler {
  open(xml: string): Promise<string[]>;
  xml(): Promise<string>;
  /** 检查结果画在图上：出问题的元素标红并挂问题数 */
  showProblems(problems: readonly LintProblem[]): void;
  /** 选中元素（属性面板随之显示它） */
  select(elementId: string): boolean;
  onChange(listener: () => void): void;
  destroy(): void;
}

export function createModeler(canvas: HTMLElement, panel: HTMLElement, catalogue: DesignerCatalogue): DesignerModeler {
  const modeler = new Modeler({
    container: canvas,
    propertiesPanel: { parent: panel },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      TranslateModule,
      CatalogueSelectModule,
    ],
    moddleExtensions: { camunda },
    designerCatalogue: catalogue,
  });
  let marked: string[] = [];
  const get = <T>(name: string) => modeler.get(name) as T;
  return {
    async open(xml) {
      const { warnings } = await modeler.importXML(xml);
      get<Canvas>('canvas').zoom('fit-viewport', 'auto');
      marked = [];
      return warnings.map((w) => (w as { message?: string }).message ?? String(w));
    },
    async xml() {
      const { xml } = await modeler.saveXML({ format: true });
      return xml ?? '';
    },
    showProblems(problems) {
      const c = get<Canvas>('canvas');
      const registry = get<ElementRegistry>('elementRegistry');
      const overlays = get<Overlays>('overlays');
      for (const id of marked) c.removeMarker(id, 'lint-error');
      overlays.remove({ type: 'lint' });
      const counts = new Map<string, number>();
      for (const p of problems)
        if (p.elementId && p.severity === 'error' && registry.get(p.elementId)) counts.set(p.elementId, (counts.get(p.elementId) ?? 0) + 1);
      marked = [...counts.keys()];
      for (const [id, n] of counts) {
        c.addMarker(id, 'lint-error');
        const badge = document.createElement('div');
        badge.className = 'lint-badge';
        badge.dataset.test = `lint-badge-${id}`;
        badge.title = problems
          .filter((p) => p.elementId === id)
          .map((p) => p.message)
          .join('\n');
        badge.textContent = String(n);
        overlays.add(id, 'lint', { position: { top: -8, right: 8 }, html: badge });
      }
    },
    select(elementId) {
      const element = get<ElementRegistry>('elementRegistry').get(elementId);
      if (!element) return false;
      get<Selection>('selection').select(element);
      get<Canvas>('canvas').scrollToElement(element);
      return true;
    },
    onChange(listener) {
      (modeler.get('eventBus') as { on(e: string, cb: () => void): void }).on('commandStack.changed', listener);
    },
    destroy() {
      modeler.destroy();
    },
  };
}

/** 新版本的图，新增的元素标绿、修改的标橙（删除的只在列表中：新图上没有它） */
export async function drawDiff(container: HTMLElement, newerXml: string, changes: readonly ElementChange[]): Promise<{ destroy(): void }> {
  const viewer = new NavigatedViewer({ container, moddleExtensions: { camunda } });
  await viewer.importXML(newerXml);
  const canvas = viewer.get('canvas') as Canvas;
  canvas.zoom('fit-viewport', 'auto');
  const registry = viewer.get('elementRegistry') as ElementRegistry;
  for (const c of changes) if (c.kind !== 'removed' && registry.get(c.id)) canvas.addMarker(c.id, `diff-${c.kind}`);
  return { destroy: () => viewer.destroy() };
}
