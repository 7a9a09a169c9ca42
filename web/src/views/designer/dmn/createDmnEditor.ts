import DmnModeler from 'dmn-js/lib/Modeler';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn-embedded.css';
import { DMN_ZH_CN } from './zhCN';

/**
 * 本页的 dmn-js：决策表编辑器（FEEL），中文标签。由流程设计页在打开“决策表”时按需加载
 * （import()），不进入待办等路由的代码块（见 bench/designer-bundle.ts）。
 */
function translate(template: string, replacements: Record<string, string> = {}): string {
  const text = DMN_ZH_CN[template] ?? template;
  return text.replace(/{([^}]+)}/g, (_m, key: string) => replacements[key] ?? `{${key}}`);
}
const TranslateModule = { translate: ['value', translate] };

interface View {
  type: string;
  element: { id?: string };
}
interface Modeler {
  importXML(xml: string): Promise<{ warnings: unknown[] }>;
  saveXML(options: { format: boolean }): Promise<{ xml?: string }>;
  getViews(): View[];
  open(view: View): Promise<unknown>;
  getActiveViewer(): { get(name: string): unknown } | undefined;
  on(event: string, cb: () => void): void;
  destroy(): void;
}

export interface DecisionEditor {
  /** 打开 DMN 并显示其决策表 */
  open(xml: string, decisionId: string): Promise<void>;
  xml(): Promise<string>;
  onChange(listener: () => void): void;
  destroy(): void;
}

export function createDmnEditor(container: HTMLElement): DecisionEditor {
  const modeler = new (DmnModeler as unknown as new (options: Record<string, unknown>) => Modeler)({
    container,
    // dmn-js replaces common.additionalModules by each view's own: the translation goes to each view.
    decisionTable: { additionalModules: [TranslateModule] },
    drd: { additionalModules: [TranslateModule] },
    literalExpression: { additionalModules: [TranslateModule] },
  });
  const listeners: Array<() => void> = [];
  let attached: unknown = null;
  const attach = () => {
    const viewer = modeler.getActiveViewer();
    if (!viewer || attached === viewer) return;
    attached = viewer;
    (viewer.get('eventBus') as { on(e: string, cb: () => void): void }).on('elements.changed', () => listeners.forEach((l) => l()));
  };
  return {
    async open(xml, decisionId) {
      await modeler.importXML(xml);
      const view =
        modeler.getViews().find((v) => v.type === 'decisionTable' && v.element.id === decisionId) ??
        modeler.getViews().find((v) => v.type === 'decisionTable');
      if (view) await modeler.open(view);
      attach();
    },
    async xml() {
      const { xml } = await modeler.saveXML({ format: true });
      return xml ?? '';
    },
    onChange(listener) {
      listeners.push(listener);
    },
    destroy() {
      modeler.destroy();
    },
  };
}
