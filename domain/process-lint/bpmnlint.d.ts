// bpmnlint ships CommonJS without declarations for these entry points.
declare module 'bpmnlint/lib/linter' {
  const Linter: new (options: { resolver: unknown }) => { lint(definitions: unknown, config: unknown): Promise<unknown> };
  export default Linter;
}
declare module 'bpmnlint/lib/resolver/static-resolver' {
  const StaticResolver: new (cache: Record<string, unknown>) => unknown;
  export default StaticResolver;
}
declare module 'bpmnlint/config/recommended' {
  const config: { rules: Record<string, string> };
  export default config;
}
declare module 'bpmnlint/rules/*' {
  const factory: unknown;
  export default factory;
}
// bpmn-moddle's declarations sit behind its package exports, which "node" module resolution does not read.
declare module 'bpmn-moddle' {
  export class BpmnModdle {
    constructor(packages?: Record<string, unknown>);
    fromXML(xml: string, type?: string): Promise<{ rootElement: unknown; warnings: Array<{ message: string }> }>;
  }
}
// dmn-moddle ships without declarations.
declare module 'dmn-moddle' {
  export function DmnModdle(packages?: Record<string, unknown>): {
    fromXML(xml: string, type?: string): Promise<{ rootElement: unknown; warnings: Array<{ message: string }> }>;
  };
}
