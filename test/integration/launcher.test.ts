import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { h2EngineDatabase } from '../../server/config';
import {
  assertPortsFree,
  EngineLaunchError,
  engineJarFresh,
  engineReady,
  engineVersion,
  ensureEngineJar,
  ensureEngineRunning,
  findJdk,
  resetEngineData,
  runningEngine,
  stopEngine,
  type LocalEngineConfig,
} from '../../server/engine/launcher';
import { createLogger } from '../../server/log';
import { EngineClient, EngineError } from '../../server/engine/client';
import { checkEngine, type HealthDeps } from '../../server/api/health';
import { testConfig } from '../support/system';

/**
 * The launcher against the real things: the JDKs of this machine, Maven building copies of
 * engine/, real ports and a second real engine beside the one the suite runs on.
 */
describe('local engine launcher', () => {
  const log = createLogger('silent');
  const config = testConfig();
  const local = (): LocalEngineConfig => ({ ...config.engine.local });
  const temps: string[] = [];
  const tempDir = (prefix: string): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    temps.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs fn with PATH set to dirs only (e.g. a PATH without java or mvn). */
  const withPath = async <T>(dirs: string[], fn: () => Promise<T> | T): Promise<T> => {
    const saved = process.env.PATH;
    process.env.PATH = dirs.join(path.delimiter);
    try {
      return await fn();
    } finally {
      process.env.PATH = saved;
    }
  };

  const failure = async (promise: Promise<unknown> | (() => unknown)): Promise<EngineLaunchError> => {
    try {
      await (typeof promise === 'function' ? promise() : promise);
    } catch (err) {
      expect(err).toBeInstanceOf(EngineLaunchError);
      return err as EngineLaunchError;
    }
    throw new Error('expected an EngineLaunchError');
  };

  /** A copy of engine/ (sources and, when built, target/ with its jar, timestamps kept) to build in. */
  const engineCopy = (): LocalEngineConfig => {
    const dir = tempDir('engine-copy-');
    const projectDir = path.join(dir, 'engine');
    fs.cpSync(config.engine.local.projectDir, projectDir, {
      recursive: true,
      preserveTimestamps: true,
      filter: (src) => !src.endsWith('.build.lock'),
    });
    return { ...local(), projectDir, jarFile: path.join(projectDir, 'target', 'budget-engine.jar'), home: path.join(dir, 'home') };
  };

  const touch = (file: string, secondsAhead: number): void => {
    const t = new Date(Date.now() + secondsAhead * 1000);
    fs.utimesSync(file, t, t);
  };

  const freePort = async (): Promise<number> => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    return port;
  };

  // ---------------------------------------------------------------------------------------------

  test('finds a JDK 17+ on this machine, preferring JAVA_HOME when it qualifies, else java on PATH', async () => {
    const newest = findJdk(undefined);
    expect(newest.major).toBeGreaterThanOrEqual(17);
    // The default java of this machine (Debian's 17) is taken as JAVA_HOME even when a newer one exists.
    const onPath = fs.realpathSync(path.join(path.dirname(fs.realpathSync('/usr/bin/java')), '..'));
    expect(findJdk(onPath)).toEqual({ home: onPath, major: expect.any(Number) });
    // Nothing in JAVA_HOME nor the JVM folder: the real home of `java` on PATH.
    const emptyJvmDir = tempDir('jvm-empty-');
    expect(findJdk(undefined, emptyJvmDir)).toEqual({ home: onPath, major: findJdk(onPath).major });
  });

  test('no JDK 17+: JDK_NOT_FOUND naming what was checked and what to do', async () => {
    const jvmDir = tempDir('jvm-');
    // A Java 11 that is too old, and a JAVA_HOME that is not a JDK at all.
    const jdk11 = path.join(jvmDir, 'jdk-11');
    fs.mkdirSync(path.join(jdk11, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(jdk11, 'bin', 'java'), '#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n', { mode: 0o755 });
    const notAJdk = tempDir('not-a-jdk-');
    const emptyBin = tempDir('bin-');
    const err = await withPath([emptyBin], () => failure(() => findJdk(notAJdk, jvmDir)));
    expect(err.code).toBe('JDK_NOT_FOUND');
    expect(err.message).toContain('Java 17');
    expect(err.message).toContain(`JAVA_HOME=${notAJdk}（不是 JDK）`);
    expect(err.message).toContain(`${jdk11}（Java 11）`);
    expect(err.message).toContain('ENGINE_URL');
  });

  test('a port already taken: PORT_IN_USE naming the port and ENGINE_PORT', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(assertPortsFree({ ...local(), port: await freePort() })).resolves.toBeUndefined();
      const err = await failure(assertPortsFree({ ...local(), port }));
      expect(err.code).toBe('PORT_IN_USE');
      expect(err.message).toContain(`端口 ${port}`);
      expect(err.message).toContain('ENGINE_PORT');
    } finally {
      blocker.close();
    }
    if (config.engine.mode === 'local') {
      // The suite's engine holds ENGINE_PORT: another home's launch is told an engine answers there.
      const err = await failure(assertPortsFree({ ...local(), home: tempDir('other-home-') }));
      expect(err.message).toContain(`Operaton ${config.engine.local.version} 在应答`);
    }
  });

  test('Maven missing: MAVEN_NOT_FOUND', async () => {
    const copy = engineCopy();
    touch(path.join(copy.projectDir, 'pom.xml'), 5); // stale: a build is needed
    const err = await withPath([tempDir('bin-')], () => failure(ensureEngineJar(copy, log)));
    expect(err.code).toBe('MAVEN_NOT_FOUND');
    expect(err.message).toContain('mvn');
    expect(err.message).toContain('ENGINE_URL');
  });

  test('a source that does not compile: BUILD_FAILED with the log, and no jar that looks current', async () => {
    const copy = engineCopy();
    const source = path.join(copy.projectDir, 'src', 'main', 'java', 'cn', 'gov', 'budget', 'engine', 'EngineApplication.java');
    fs.appendFileSync(source, '\nclass Broken { int x = ; }\n');
    touch(source, 5);
    expect(engineJarFresh(copy)).toBe(false);
    const err = await failure(ensureEngineJar(copy, log));
    expect(err.code).toBe('BUILD_FAILED');
    const buildLog = path.join(copy.home, 'logs', 'build.log');
    expect(err.message).toContain(buildLog);
    expect(err.message).toContain('EngineApplication.java');
    expect(fs.readFileSync(buildLog, 'utf8')).toContain('COMPILATION ERROR');
    expect(engineJarFresh(copy)).toBe(false);
    // The next launch builds again instead of starting what is there.
    expect((await failure(ensureEngineJar(copy, log))).code).toBe('BUILD_FAILED');
    expect(fs.existsSync(path.join(path.dirname(copy.jarFile), '.build.lock'))).toBe(false);
  }, 240_000);

  test('a jar older than a source is rebuilt, once, however many launches ask at the same time', async () => {
    const copy = engineCopy();
    await ensureEngineJar(copy, log);
    expect(engineJarFresh(copy)).toBe(true);
    await expect(ensureEngineJar(copy, log)).resolves.toMatchObject({ built: false });

    touch(path.join(copy.projectDir, 'src', 'main', 'resources', 'application.yaml'), 5);
    expect(engineJarFresh(copy)).toBe(false);
    const builds = await Promise.all([ensureEngineJar(copy, log), ensureEngineJar(copy, log)]);
    expect(builds.map((b) => b.built).sort()).toEqual([false, true]);
    expect(engineJarFresh(copy)).toBe(true);

    // pom.xml counts too, even when Maven finds nothing to recompile.
    touch(path.join(copy.projectDir, 'pom.xml'), 10);
    await expect(ensureEngineJar(copy, log)).resolves.toMatchObject({ built: true });
    expect(engineJarFresh(copy)).toBe(true);
    expect(fs.statSync(copy.jarFile).size).toBeGreaterThan(10_000_000);
  }, 300_000);

  test("a second engine on a port and an H2 folder of its own, with the platform's REST account: starts, refuses calls without the account, answers 1.0.3 with it, is reused, stops", async () => {
    const home = tempDir('engine-home-');
    const dataDir = path.join(home, 'data');
    const port = await freePort();
    const second: LocalEngineConfig = {
      ...local(),
      home,
      dataDir,
      logFile: path.join(home, 'logs', 'engine.log'),
      port,
      javaOpts: '-Xms128m -Xmx512m',
      database: h2EngineDatabase(dataDir),
      credentials: { user: 'budgetplatform', password: 'a-test-secret-of-the-platform' },
    };
    const restUrl = `http://127.0.0.1:${port}/engine-rest`;
    try {
      const started = await ensureEngineRunning(second, log);
      expect(started.reused).toBe(false);
      expect(started.jdk?.major).toBeGreaterThanOrEqual(17);
      // The REST API asks every call for the platform's account, which the engine made at start.
      expect(await engineReady(restUrl)).toBe(false);
      expect((await fetch(`${restUrl}/process-definition`)).status).toBe(401);
      expect(await engineReady(restUrl, { user: 'budgetplatform', password: 'a wrong password!!' })).toBe(false);
      const wrong = await new EngineClient(restUrl, { credentials: { user: 'budgetplatform', password: 'a wrong password!!' } })
        .version()
        .catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(EngineError);
      expect(wrong).toMatchObject({ status: 401, type: 'CredentialsRefused' });
      expect((wrong as Error).message).toContain('ENGINE_REST_USER');
      // The health page says the account was refused, not that the engine cannot be reached.
      const health = await checkEngine(
        {
          config: { ...config, engine: { ...config.engine, restUrl } },
          engine: new EngineClient(restUrl),
          supervisor: { state: { status: 'starting', attempts: 1 } },
        } as unknown as HealthDeps,
        false,
      );
      expect(health).toMatchObject({ status: 'down', message: expect.stringContaining('拒绝了平台的账号') });
      // Wrong passwords neither lock the account nor slow it down.
      const t0 = Date.now();
      expect(await engineReady(restUrl, second.credentials)).toBe(true);
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(await engineVersion(restUrl, second.credentials)).toBe('1.0.3');
      const client = new EngineClient(restUrl, { credentials: second.credentials });
      await expect(client.version()).resolves.toEqual({ version: '1.0.3' });
      expect(runningEngine(second)).toMatchObject({ pid: started.pid, port, version: '1.0.3', database: { kind: 'h2' } });
      expect(fs.existsSync(path.join(dataDir, 'engine.mv.db'))).toBe(true);
      // The suite's own engine is untouched and still answers.
      if (config.engine.mode === 'local') expect(await engineReady(config.engine.restUrl)).toBe(true);

      await expect(ensureEngineRunning(second, log)).resolves.toMatchObject({ pid: started.pid, reused: true });
      await expect(resetEngineData(second)).rejects.toThrow(/正在运行/);

      await expect(stopEngine(second, log)).resolves.toBe(true);
      expect(fs.existsSync(path.join(home, 'engine.pid.json'))).toBe(false);
      expect(runningEngine(second)).toBeUndefined();
      expect(await engineReady(restUrl, second.credentials)).toBe(false);
      await expect(stopEngine(second, log)).resolves.toBe(false);

      await resetEngineData(second);
      expect(fs.readdirSync(dataDir).filter((f) => f.startsWith('engine.'))).toEqual([]);
    } finally {
      await stopEngine(second, log, 5_000);
    }
  }, 240_000);

  test('an engine that cannot open its database: START_FAILED with the end of its log', async () => {
    const home = tempDir('engine-home-');
    const broken: LocalEngineConfig = {
      ...local(),
      home,
      dataDir: path.join(home, 'data'),
      logFile: path.join(home, 'logs', 'engine.log'),
      port: await freePort(),
      javaOpts: '-Xms64m -Xmx256m',
      database: { kind: 'h2', jdbcUrl: 'jdbc:h2:file:/proc/no-such-place/engine;IFEXISTS=FALSE', user: 'sa', password: '' },
    };
    try {
      const err = await failure(ensureEngineRunning(broken, log));
      expect(err.code).toBe('START_FAILED');
      expect(err.message).toContain(broken.logFile);
      expect(err.message.split('\n').length).toBeGreaterThan(3);
      expect(runningEngine(broken)).toBeUndefined();
    } finally {
      await stopEngine(broken, log, 5_000);
    }
  }, 240_000);
  // Two nodes on one database (MariaDB beside other engine databases, or H2 in mixed mode): test/integration/two-nodes.test.ts.
});
