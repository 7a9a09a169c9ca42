// 这些包不带类型声明（或声明藏在 package exports 之后）：只声明本页用到的部分。
declare module 'bpmn-js-properties-panel' {
  export const BpmnPropertiesPanelModule: Record<string, unknown>;
  export const BpmnPropertiesProviderModule: Record<string, unknown>;
  export const CamundaPlatformPropertiesProviderModule: Record<string, unknown>;
  export function useService<T = unknown>(name: string): T;
}
declare module '@bpmn-io/properties-panel' {
  export function SelectEntry(props: {
    element: unknown;
    id: string;
    label: string;
    description?: string;
    getValue: (element: unknown) => string;
    setValue: (value: string) => void;
    getOptions: (element: unknown) => Array<{ value: string; label: string; disabled?: boolean }>;
  }): unknown;
  export function isSelectEntryEdited(node: unknown): boolean;
}
declare module 'bpmn-moddle' {
  export interface ModdleElement {
    $type: string;
    id?: string;
    $attrs?: Record<string, string>;
    $descriptor: {
      properties: Array<{
        name: string;
        ns: { name: string; prefix: string; localName: string };
        isMany?: boolean;
        isReference?: boolean;
        type: string;
      }>;
    };
    get(name: string): unknown;
    [key: string]: unknown;
  }
  export class BpmnModdle {
    constructor(packages?: Record<string, unknown>);
    fromXML(xml: string, type?: string): Promise<{ rootElement: ModdleElement; warnings: Array<{ message: string }> }>;
  }
}
declare module 'dmn-js/lib/Modeler' {
  const DmnModeler: unknown;
  export default DmnModeler;
}
