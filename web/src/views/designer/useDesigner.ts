import { computed, ref } from 'vue';
import {
  deployModel,
  getDesignerCatalogue,
  getProcessVersionXml,
  lintModel,
  listDesignerProcesses,
  type DeployResult,
  type DesignerCatalogue,
  type DesignerProcess,
  type LintProblem,
} from '../../api/designer';
import { ApiError } from '../../api/request';
import { diffModels, type ElementChange } from './diff/modelDiff';

/** 流程设计页的状态：目录、流程与版本、检查结果、部署、版本差异（建模器本身由页面持有） */
export function useDesigner() {
  const catalogue = ref<DesignerCatalogue | null>(null);
  const processes = ref<DesignerProcess[]>([]);
  const processId = ref('');
  const error = ref('');
  const problems = ref<LintProblem[] | null>(null);
  const linting = ref(false);
  const deploying = ref(false);
  const lastDeploy = ref<DeployResult | null>(null);
  const changes = ref<ElementChange[] | null>(null);

  const current = computed(() => processes.value.find((p) => p.processId === processId.value) ?? null);
  const errorsOnly = computed(() => (problems.value ?? []).filter((p) => p.severity === 'error'));

  async function load(): Promise<void> {
    error.value = '';
    try {
      const [c, p] = await Promise.all([getDesignerCatalogue(), listDesignerProcesses()]);
      catalogue.value = c;
      processes.value = p;
      if (!processId.value && p[0]) processId.value = p[0].processId;
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : '加载失败';
    }
  }

  async function reloadProcesses(): Promise<void> {
    processes.value = await listDesignerProcesses();
  }

  async function lint(xml: string): Promise<LintProblem[]> {
    linting.value = true;
    try {
      problems.value = await lintModel(xml);
      return problems.value;
    } finally {
      linting.value = false;
    }
  }

  /** 部署；服务端因检查未通过拒绝时，把它列出的问题作为检查结果 */
  async function deploy(xml: string, reason: string): Promise<DeployResult | null> {
    deploying.value = true;
    try {
      const result = await deployModel(xml, reason);
      await reloadProcesses();
      lastDeploy.value = result;
      problems.value = result.warnings;
      return result;
    } catch (e) {
      if (e instanceof ApiError && e.code === 'PROCESS_LINT_FAILED') {
        problems.value = e.details.map((d) => ({
          elementId: d.field === 'model' ? null : d.field,
          rule: /\[([^\]]+)\]$/.exec(d.message)?.[1] ?? '',
          message: d.message.replace(/\s*\[[^\]]+\]$/, ''),
          severity: 'error',
        }));
        return null;
      }
      throw e;
    } finally {
      deploying.value = false;
    }
  }

  async function versionXml(version: number): Promise<string> {
    return getProcessVersionXml(processId.value, version);
  }

  async function compare(older: number, newer: number): Promise<{ newerXml: string; changes: ElementChange[] }> {
    const [a, b] = await Promise.all([versionXml(older), versionXml(newer)]);
    changes.value = await diffModels(a, b);
    return { newerXml: b, changes: changes.value };
  }

  return {
    catalogue,
    processes,
    processId,
    current,
    error,
    problems,
    errorsOnly,
    linting,
    deploying,
    lastDeploy,
    changes,
    load,
    reloadProcesses,
    lint,
    deploy,
    versionXml,
    compare,
  };
}
