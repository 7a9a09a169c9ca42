import { Camunda8 } from '@camunda8/sdk';
import type { Zeebe } from '@camunda8/sdk';
import type { EngineConfig } from '../config';

export type EngineClient = Zeebe.ZeebeGrpcClient;

/**
 * The one place engine clients are built from configuration; everything else receives them.
 * The client does not retry on its own: the supervisor (engine/supervisor.ts) owns the policy of
 * waiting for the engine, so a missing engine is a visible state, never a hidden retry loop.
 */
export function createEngineClient(engine: EngineConfig): EngineClient {
  const c8 = new Camunda8({
    // grpc:// is plaintext (local engine); an external cluster behind TLS is configured as grpcs://.
    ZEEBE_GRPC_ADDRESS: engine.grpcAddress.includes('://') ? engine.grpcAddress : `grpc://${engine.grpcAddress}`,
    // Our ZEEBE_ADDRESS is already in ZEEBE_GRPC_ADDRESS; blank it so the SDK does not also read it
    // from the environment and warn about the duplicate.
    ZEEBE_ADDRESS: '',
    ZEEBE_REST_ADDRESS: engine.restAddress,
    CAMUNDA_AUTH_STRATEGY: 'NONE',
    CAMUNDA_OAUTH_DISABLED: true,
    zeebeGrpcSettings: {
      ZEEBE_GRPC_CLIENT_RETRY: false,
      ZEEBE_GRPC_CLIENT_EAGER_CONNECT: false,
      ZEEBE_CLIENT_LOG_LEVEL: 'NONE',
    },
    CAMUNDA_LOG_LEVEL: 'error',
    CAMUNDA_TOKEN_DISK_CACHE_DISABLE: true,
  });
  return c8.getZeebeGrpcApiClient();
}

export interface EngineBroker {
  nodeId: number;
  host: string;
  port: number;
  version: string;
  partitions: Array<{ partitionId: number; role: string; health: string }>;
}

export interface EngineTopology {
  gatewayVersion: string;
  clusterSize: number;
  partitionsCount: number;
  replicationFactor: number;
  brokers: EngineBroker[];
}

/** Topology through the gateway, bounded in time: a dead engine answers "down", never hangs. */
export async function fetchTopology(client: EngineClient, timeoutMs = 3000): Promise<EngineTopology> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('engine topology timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
  });
  try {
    const t = await Promise.race([client.topology(), timeout]);
    return {
      gatewayVersion: t.gatewayVersion,
      clusterSize: t.clusterSize,
      partitionsCount: t.partitionsCount,
      replicationFactor: t.replicationFactor,
      brokers: t.brokers.map((b) => ({
        nodeId: b.nodeId,
        host: b.host,
        port: b.port,
        version: (b as { version?: string }).version ?? '',
        partitions: b.partitions.map((p) => ({ partitionId: p.partitionId, role: String(p.role).toLowerCase(), health: String(p.health).toLowerCase() })),
      })),
    };
  } finally {
    clearTimeout(timer);
  }
}
