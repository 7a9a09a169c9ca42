import fs from 'node:fs';
import { verifyEvidencePackage } from '../domain/evidence';

/**
 * npm run verify -- <package.json> [--platform-key <key id>]
 * Checks an evidence package offline, without the database: every key record against the platform
 * key, every record's SM3 hash and SM2 seal, the hash chain and the signed checkpoint, and a process
 * instance's engine history against the platform's statement. Prints one line per record and names
 * the first failure; exit code 1 on any failure, 2 on bad usage.
 */
function main(argv: string[]): number {
  const file = argv.find((a) => !a.startsWith('--'));
  const keyFlag = argv.indexOf('--platform-key');
  const expectedKey = keyFlag >= 0 ? argv[keyFlag + 1] : undefined;
  if (!file) {
    console.error('用法：npm run verify -- <证据包.json> [--platform-key <平台密钥编号>]');
    return 2;
  }
  const report = verifyEvidencePackage(fs.readFileSync(file, 'utf8'));
  for (const r of report.records)
    console.log(`${r.ok ? '通过' : '失败'}  #${r.seq}  ${r.kind}${r.sealed ? '  [签章]' : ''}${r.reason ? `  ${r.reason}` : ''}`);
  const e = report.engine;
  if (e) {
    const what = e.unavailable
      ? `无引擎历史（${e.unavailable}）`
      : `${e.engine ?? '流程引擎'}：${e.activities} 个环节实例，${e.tasks} 个用户任务，${e.decisions} 个决策实例，${e.incidents} 个事件`;
    console.log(`${e.ok ? '通过' : '失败'}  引擎历史  ${what}${e.reason ? `  ${e.reason}` : ''}`);
  }
  console.log(`平台密钥编号：${report.platformKeyId ?? '-'}（请与财政部门公布的编号核对）`);
  if (expectedKey && report.platformKeyId !== expectedKey) {
    console.log(`失败：平台密钥编号与给定的 ${expectedKey} 不符`);
    return 1;
  }
  if (!report.ok) {
    console.log(`失败：${report.firstFailure}`);
    return 1;
  }
  console.log(`通过：${report.records.length} 条记录，${report.records.filter((r) => r.sealed).length} 个签章，哈希链与检查点均有效`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
