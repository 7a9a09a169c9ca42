import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { assertPortsFree, EngineLaunchError, ensureDistribution, findJdk } from '../../server/engine/launcher';
import { createLogger } from '../../server/log';
import { testConfig } from '../support/system';

/** The launcher's refusals, each with a code and a sentence that says what to do. */
describe('local engine launcher', () => {
  const log = createLogger('silent');
  const local = () => ({ ...testConfig().engine.local });

  test('finds a JDK 21+ on this machine, preferring JAVA_HOME when it qualifies', () => {
    const jdk = findJdk(undefined);
    expect(jdk.major).toBeGreaterThanOrEqual(21);
    expect(findJdk(jdk.home)).toEqual(jdk);
  });

  test('no JDK 21+: JDK_NOT_FOUND naming what was checked and what to install', () => {
    const jvmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jvm-'));
    // A JDK 17 and nothing newer: what a machine with only the default Java has.
    const jdk17 = fs.readdirSync('/usr/lib/jvm').map((d) => path.join('/usr/lib/jvm', d)).find((d) => /17/.test(d) && fs.existsSync(path.join(d, 'bin', 'java')));
    if (jdk17) fs.symlinkSync(jdk17, path.join(jvmDir, 'jdk-17'));
    let error: unknown;
    try {
      findJdk(jdk17, jvmDir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EngineLaunchError);
    expect((error as EngineLaunchError).code).toBe('JDK_NOT_FOUND');
    expect((error as EngineLaunchError).message).toContain('Java 21');
    expect((error as EngineLaunchError).message).toContain('JAVA_HOME');
    fs.rmSync(jvmDir, { recursive: true, force: true });
  });

  test('a port already taken: PORT_IN_USE naming the port and the variable that moves it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    // Every other port of the plan is free (the test engine holds the default ones).
    const cfg = { ...local(), grpcPort: 41_000 + (process.pid % 1000) * 3, monitoringPort: 44_500 + (process.pid % 1000), restPort: port };
    try {
      await expect(assertPortsFree({ ...cfg, restPort: 45_600 + (process.pid % 1000) })).resolves.toBeUndefined();
      await expect(assertPortsFree(cfg)).rejects.toMatchObject({ code: 'PORT_IN_USE', message: expect.stringContaining(`端口 ${port}`) });
      await expect(assertPortsFree(cfg)).rejects.toThrow(/ENGINE_REST_PORT/);
    } finally {
      blocker.close();
    }
  });

  test('a download that fails: DOWNLOAD_FAILED with the artifact and where to look, and no half-unpacked engine', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'camunda-home-'));
    const cfg = { ...local(), home, version: '0.0.1-does-not-exist', mavenRepositoryUrl: 'http://127.0.0.1:9/maven2' };
    try {
      const err = await ensureDistribution(cfg, log).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineLaunchError);
      expect((err as EngineLaunchError).code).toBe('DOWNLOAD_FAILED');
      expect((err as EngineLaunchError).message).toContain('io.camunda:camunda-zeebe:0.0.1-does-not-exist:tar.gz');
      expect((err as EngineLaunchError).message).toContain('CAMUNDA_MAVEN_REPO_URL');
      expect(fs.existsSync(path.join(home, 'camunda-zeebe-0.0.1-does-not-exist'))).toBe(false);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
