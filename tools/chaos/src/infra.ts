import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The local Kafka and Redis of `tools/infra/infra.sh`, driven from outside:
 * SIGKILL one broker by its pidfile, stop and start Redis or every broker.
 * Starting goes through the script, which waits until the component is ready.
 * The script's environment (STORELOOP_INFRA_DIR, KAFKA_CLIENT_BASE, REDIS_PORT)
 * picks which set of servers.
 */
export class LocalInfra {
  private readonly script: string;
  private readonly stateDir: string;

  constructor(
    private readonly root: string,
    readonly brokers: number,
  ) {
    this.script = join(root, 'tools/infra/infra.sh');
    this.stateDir = process.env.STORELOOP_INFRA_DIR ?? join(root, '.local/infra');
  }

  /** The brokers' client addresses (infra.sh's `KAFKA_CLIENT_BASE`, default 9092, and up). */
  get bootstrap(): string[] {
    const base = Number(process.env.KAFKA_CLIENT_BASE ?? 9092);
    return Array.from({ length: this.brokers }, (_, i) => `127.0.0.1:${base + i}`);
  }

  brokerPid(node: number): number | undefined {
    const mode = this.brokers === 3 ? 'cluster3' : 'single';
    try {
      const pid = Number(readFileSync(join(this.stateDir, 'kafka', mode, `node-${node}`, 'kafka.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** SIGKILL one broker: no controlled shutdown, its partitions lose a replica at once. */
  killBroker(node: number): number {
    const pid = this.brokerPid(node);
    if (!pid) throw new Error(`no pidfile for Kafka node ${node}`);
    process.kill(pid, 'SIGKILL');
    return pid;
  }

  async startKafka(): Promise<void> {
    await this.script_('start', 'kafka', '--brokers', String(this.brokers));
  }

  async stopKafka(): Promise<void> {
    await this.script_('stop', 'kafka');
  }

  async stopRedis(): Promise<void> {
    await this.script_('stop', 'redis');
  }

  async startRedis(): Promise<void> {
    await this.script_('start', 'redis');
  }

  private async script_(...args: string[]): Promise<void> {
    try {
      await run('bash', [this.script, ...args], { cwd: this.root, timeout: 180_000 });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`infra.sh ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  }
}
