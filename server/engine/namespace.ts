/**
 * Engine namespaces: the process ids and job types an installation deploys and works on carry
 * its namespace as a prefix (`ns.` + name), so two installations on one engine never start each
 * other's processes nor take each other's jobs. The models in processes/ are written without a
 * namespace; it is applied when they are deployed.
 */
export function namespaced(namespace: string, name: string): string {
  return namespace ? `${namespace}.${name}` : name;
}

/** Rewrites a BPMN file's process ids (and the diagram's references to them) and job types. */
export function namespaceBpmn(xml: string, namespace: string): string {
  if (!namespace) return xml;
  const processIds = [...xml.matchAll(/<(?:bpmn:)?process\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]!);
  let out = xml.replace(/(<zeebe:taskDefinition\b[^>]*\btype=")([^"=][^"]*)(")/g, (_m, a: string, type: string, c: string) => `${a}${namespaced(namespace, type)}${c}`);
  out = out.replace(/(<zeebe:calledElement\b[^>]*\bprocessId=")([^"=][^"]*)(")/g, (_m, a: string, id: string, c: string) => `${a}${namespaced(namespace, id)}${c}`);
  for (const id of processIds) {
    const quoted = new RegExp(`((?:<(?:bpmn:)?process\\b[^>]*\\bid)|(?:bpmnElement))="${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`, 'g');
    out = out.replace(quoted, (_m, attr: string) => `${attr}="${namespaced(namespace, id)}"`);
  }
  return out;
}
