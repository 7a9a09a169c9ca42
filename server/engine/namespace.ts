/**
 * Engine namespaces: the process ids and external-task topics an installation deploys and works
 * on carry its namespace as a prefix (`ns.` + name), so two installations on one engine never
 * start each other's processes nor take each other's external tasks. The models in processes/
 * are written without a namespace; it is applied when they are deployed.
 */
export function namespaced(namespace: string, name: string): string {
  return namespace ? `${namespace}.${name}` : name;
}

/** The model's own id of a namespaced key, or null when the key is not this installation's. */
export function ownKey(key: string, namespace: string): string | null {
  if (namespace) return key.startsWith(`${namespace}.`) ? key.slice(namespace.length + 1) : null;
  return key.includes('.') ? null : key;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rewrites a BPMN file's process ids (and the diagram's references to them), topics and called elements. */
export function namespaceBpmn(xml: string, namespace: string): string {
  if (!namespace) return xml;
  const processIds = [...xml.matchAll(/<(?:bpmn:)?process\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]!);
  let out = xml.replace(/(\bcamunda:topic=")([^"$][^"]*)(")/g, (_m, a: string, topic: string, c: string) => `${a}${namespaced(namespace, topic)}${c}`);
  out = out.replace(/(\bcamunda:decisionRef=")([^"$][^"]*)(")/g, (_m, a: string, id: string, c: string) => `${a}${namespaced(namespace, id)}${c}`);
  out = out.replace(/(<(?:bpmn:)?callActivity\b[^>]*\bcalledElement=")([^"$][^"]*)(")/g, (_m, a: string, id: string, c: string) => `${a}${namespaced(namespace, id)}${c}`);
  for (const id of processIds) {
    const quoted = new RegExp(`((?:<(?:bpmn:)?process\\b[^>]*\\bid)|(?:bpmnElement))="${escape(id)}"`, 'g');
    out = out.replace(quoted, (_m, attr: string) => `${attr}="${namespaced(namespace, id)}"`);
  }
  return out;
}

/**
 * The inverse of namespaceBpmn: a deployed model as its author wrote it (process ids, topics,
 * decision refs and called elements without this installation's prefix), for the designer.
 */
export function withoutNamespace(xml: string, namespace: string): string {
  if (!namespace) return xml;
  const prefix = escape(`${namespace}.`);
  return xml
    .replace(new RegExp(`(\\bcamunda:(?:topic|decisionRef)=")${prefix}`, 'g'), '$1')
    .replace(new RegExp(`(<(?:bpmn:)?callActivity\\b[^>]*\\bcalledElement=")${prefix}`, 'g'), '$1')
    .replace(new RegExp(`((?:<(?:bpmn:)?process\\b[^>]*\\bid)|(?:bpmnElement))="${prefix}`, 'g'), '$1="');
}

/** Rewrites a DMN file's decision ids (so decisionRef in a namespaced model finds them). */
export function namespaceDmn(xml: string, namespace: string): string {
  if (!namespace) return xml;
  return xml.replace(/(<(?:dmn:)?decision\b[^>]*\bid=")([^"]+)(")/g, (_m, a: string, id: string, c: string) => `${a}${namespaced(namespace, id)}${c}`);
}

/**
 * Sets every process's and decision's history time to live to the configured number of days
 * (finance records are kept for years); the engine refuses a model without one.
 */
export function withHistoryTimeToLive(xml: string, days: number): string {
  return xml.replace(/<((?:bpmn:)?process|(?:dmn:)?decision)\b([^>]*?)(\/?)>/g, (_m, tag: string, attrs: string, selfClose: string) => {
    const rest = attrs.replace(/\s+camunda:historyTimeToLive="[^"]*"/, '');
    return `<${tag}${rest} camunda:historyTimeToLive="P${days}D"${selfClose}>`;
  });
}
