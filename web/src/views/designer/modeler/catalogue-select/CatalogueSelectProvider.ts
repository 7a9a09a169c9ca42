import { isSelectEntryEdited, SelectEntry } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import type { DesignerCatalogue } from '../../../../api/designer';

/**
 * 有清单的属性不让自由填写：Camunda 属性面板里的候选组、表单、外部任务主题和决策表四个文本框，
 * 换成从目录（GET /api/designer/catalogue）选择的下拉框。比 Camunda 提供者优先级低，
 * 拿到它排好的分组后逐项替换（条目编号不变，检查结果仍能定位到同一条目）。
 */
interface Element {
  businessObject: { get(name: string): unknown };
}
interface Entry {
  id: string;
  component: unknown;
  isEdited?: unknown;
  [key: string]: unknown;
}
interface Group {
  id: string;
  entries?: Entry[];
}
interface Modeling {
  updateProperties(element: unknown, properties: Record<string, unknown>): void;
}
type Option = { value: string; label: string };

const LOWER_THAN_CAMUNDA = 400;

/** 模型里已有、但不在清单中的值仍显示出来（标明“不存在”），由检查报告 */
function withCurrent(options: Option[], current: string): Option[] {
  const list = [{ value: '', label: '（请选择）' }, ...options];
  return current && !options.some((o) => o.value === current) ? [...list, { value: current, label: `${current}（不存在）` }] : list;
}

function catalogueSelect(property: string, label: string, options: (c: DesignerCatalogue) => Option[]) {
  return function CatalogueSelect(props: { element: Element; id: string; catalogue: DesignerCatalogue }) {
    const modeling = useService<Modeling>('modeling');
    const translate = useService<(s: string) => string>('translate');
    const current = () => String(props.element.businessObject.get(property) ?? '');
    return SelectEntry({
      element: props.element,
      id: props.id,
      label: translate(label),
      getValue: current,
      // 空选择即去掉该属性（undefined），不写空字符串
      setValue: (value: string) => modeling.updateProperties(props.element, { [property]: value === '' ? undefined : value }),
      getOptions: () => withCurrent(options(props.catalogue), current()),
    });
  };
}

const REPLACEMENTS: Record<string, ReturnType<typeof catalogueSelect>> = {
  candidateGroups: catalogueSelect('camunda:candidateGroups', 'Candidate groups', (c) =>
    c.roles.map((r) => ({ value: r, label: `${c.roleNames[r] ?? r}（${r}）` })),
  ),
  formKey: catalogueSelect('camunda:formKey', 'Form key', (c) => c.forms.map((f) => ({ value: f, label: f }))),
  externalTopic: catalogueSelect('camunda:topic', 'Topic', (c) => c.topics.map((t) => ({ value: t, label: t }))),
  decisionRef: catalogueSelect('camunda:decisionRef', 'Decision reference', (c) => c.decisions.map((d) => ({ value: d, label: d }))),
};

export default class CatalogueSelectProvider {
  static $inject = ['propertiesPanel', 'config.designerCatalogue'];

  constructor(
    propertiesPanel: { registerProvider(priority: number, provider: CatalogueSelectProvider): void },
    private readonly catalogue: DesignerCatalogue,
  ) {
    propertiesPanel.registerProvider(LOWER_THAN_CAMUNDA, this);
  }

  getGroups(_element: unknown) {
    return (groups: Group[]) => {
      for (const group of groups) {
        group.entries = group.entries?.map((entry) => {
          const component = REPLACEMENTS[entry.id];
          return component ? { ...entry, component, isEdited: isSelectEntryEdited, catalogue: this.catalogue } : entry;
        });
      }
      return groups;
    };
  }
}
