import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, track, waitFor, type RunningProcess } from '@storeloop/testing';

const run = promisify(execFile);

/** Whether a loopback port can be bound right now. */
async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free and valid too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10000 <= 65535 && !taken.has(port) && !taken.has(port + 10000) && (await portIsFree(port + 10000))) return port;
  }
}

/**
 * A throwaway three-master Redis Cluster on loopback ports (no replicas, no
 * persistence), created with `redis-cli --cluster create`.
 */
export class DisposableRedisCluster {
  private processes: RunningProcess[] = [];

  private constructor(
    readonly ports: number[],
    private readonly directory: string,
  ) {}

  static async start(): Promise<DisposableRedisCluster> {
    const taken = new Set<number>();
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await clusterPort(taken);
      ports.push(port);
      taken.add(port).add(port + 10000);
    }
    const cluster = new DisposableRedisCluster(ports, await mkdtemp(join(tmpdir(), 'storeloop-redis-cluster-')));
    try {
      await cluster.create();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `host:port,...`, as REDIS_CLUSTER_NODES takes it. */
  get nodes(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  private async create(): Promise<void> {
    for (const port of this.ports) {
      const options = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.directory];
      const clusterOptions = ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`];
      const child = spawn('redis-server', [...options, ...clusterOptions], { stdio: ['ignore', 'pipe', 'pipe'] });
      const server = track(child);
      this.processes.push(server);
      await waitFor(() => server.output().includes('Ready to accept connections'), { timeoutMs: 10_000, description: `redis-server on ${port}` });
    }
    await run('redis-cli', ['--cluster', 'create', ...this.ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(
      async () => {
        for (const port of this.ports) {
          const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
          if (!stdout.includes('cluster_state:ok')) return false;
        }
        return true;
      },
      { timeoutMs: 20_000, description: 'the cluster to report cluster_state:ok on every node' },
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((server) => server.stop('SIGKILL')));
    this.processes = [];
    await rm(this.directory, { recursive: true, force: true });
  }
}
