import type { Logger } from '../log';
import { fetchEngineInfo, type EngineClient, type EngineInfo } from './client';

export interface EngineConnectionState {
  status: 'connecting' | 'up' | 'down';
  attempts: number;
  lastError?: string;
  lastCheckedAt?: Date;
  info?: EngineInfo;
}

/**
 * Waits for the engine with capped exponential backoff and runs `onReady` once it answers
 * (deploy models, start workers). It never throws and never exits the process: an engine that
 * is not there yet is a state shown in the logs and in /api/health.
 */
export class EngineSupervisor {
  readonly state: EngineConnectionState = { status: 'connecting', attempts: 0 };
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readyPromise: Promise<void>;
  private resolveReady!: () => void;

  constructor(
    private readonly client: EngineClient,
    private readonly log: Logger,
    private readonly onReady: () => Promise<void>,
    private readonly backoff = { initialMs: 1000, maxMs: 30_000 },
  ) {
    this.readyPromise = new Promise((resolve) => (this.resolveReady = resolve));
  }

  start(): void {
    void this.attempt();
  }

  /** Resolves when the engine answered and onReady finished. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    this.state.attempts += 1;
    try {
      this.state.info = await fetchEngineInfo(this.client);
      this.state.lastCheckedAt = new Date();
      await this.onReady();
      this.state.status = 'up';
      this.state.lastError = undefined;
      this.log.info({ attempts: this.state.attempts, version: this.state.info.version }, '已连接流程引擎');
      this.resolveReady();
    } catch (err) {
      this.state.status = 'down';
      this.state.lastCheckedAt = new Date();
      this.state.lastError = err instanceof Error ? err.message : String(err);
      const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.state.attempts - 1, 10));
      this.log.warn({ attempt: this.state.attempts, retryInMs: delay, error: this.state.lastError }, '流程引擎暂不可用，稍后重试');
      this.timer = setTimeout(() => void this.attempt(), delay);
    }
  }
}
