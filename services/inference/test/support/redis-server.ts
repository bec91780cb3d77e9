import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis, loadRedisSettings } from '@storeloop/feature-store';
import { freePort, track, waitFor, type RunningProcess } from '@storeloop/testing';

/**
 * A redis-server of the test's own (the Debian binary on PATH) on a free port,
 * for outages that must not touch the shared test Redis: SIGSTOP / SIGCONT
 * (Redis alive but silent: commands time out), SIGKILL (connections refused),
 * and a restart on the same port with the same data (an explicit SAVE to its
 * own directory before the kill; no automatic persistence otherwise).
 */
export class OwnRedisServer {
  private process?: RunningProcess;
  private paused = false;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async create(): Promise<OwnRedisServer> {
    return new OwnRedisServer(await freePort(), await mkdtemp(join(tmpdir(), 'it-inference-redis-')));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  get pid(): number | undefined {
    return this.process?.child.pid;
  }

  /** Starts it (loading dump.rdb when a SAVE left one) and waits until it accepts connections. */
  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--dbfilename', 'dump.rdb'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const running = track(child);
    this.process = running;
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`redis-server on port ${this.port} exited: ${running.output().slice(-2000)}`);
        return running.output().includes('Ready to accept connections');
      },
      { timeoutMs: 15_000, intervalMs: 50, description: `redis-server on port ${this.port}` },
    );
  }

  /** Writes the data set to its directory, so a restart after `kill` has the same data. */
  async save(): Promise<void> {
    const client = createRedis(loadRedisSettings({ REDIS_URL: this.url }), 'it-inference-save');
    try {
      await client.connect();
      await client.save();
    } finally {
      client.disconnect();
    }
  }

  /** SIGSTOP: connections stay open, nothing answers (a hung or partitioned Redis). */
  pause(): void {
    this.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.signal('SIGCONT');
    this.paused = false;
  }

  /** SIGKILL: connections reset, new ones refused until `start`. */
  async kill(): Promise<void> {
    if (this.paused) this.resume();
    await this.process?.stop('SIGKILL');
    this.process = undefined;
  }

  output(): string {
    return this.process?.output() ?? '';
  }

  async dispose(): Promise<void> {
    await this.kill().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (!pid) throw new Error('redis-server is not running');
    process.kill(pid, signal);
  }
}
