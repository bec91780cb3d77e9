import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './repo';
import { waitFor } from './wait';

/** An unused loopback port, found by letting the OS pick one. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends the signal and resolves with the exit code (or the signal name). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

export function track(child: ChildProcess): RunningProcess {
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    child,
    output: () => out,
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface RunningService extends RunningProcess {
  url: string;
}

/**
 * Starts a built service (`services/<name>/dist/main.js`) on a free port and
 * waits until `/health/live` answers. Run `nx build <name>` first (the
 * integration target depends on build).
 */
export async function startBuiltService(name: string, env: Record<string, string>, timeoutMs = 60_000): Promise<RunningService> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot(__dirname), 'services', name, 'dist', 'main.js')], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running = track(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${running.output().slice(-2000)}`);
        return (await fetch(`${url}/health/live`)).ok;
      },
      { timeoutMs, intervalMs: 200, description: `${name} to answer /health/live` },
    );
  } catch (error) {
    await running.stop('SIGKILL');
    throw error;
  }
  return { ...running, url };
}

/**
 * A throwaway redis-server on a free port (no persistence), for tests that stop
 * and restart Redis without touching the shared test instance.
 */
export class DisposableRedis {
  private process?: RunningProcess;

  constructor(readonly port: number) {}

  static async create(): Promise<DisposableRedis> {
    return new DisposableRedis(await freePort());
  }

  url(db = 15): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = track(child);
    await waitFor(() => this.process?.output().includes('Ready to accept connections'), {
      timeoutMs: 10_000,
      description: `redis-server on port ${this.port}`,
    });
  }

  async stop(): Promise<void> {
    await this.process?.stop('SIGKILL');
    this.process = undefined;
  }
}

/** Deletes every key starting with `prefix` (SCAN, not KEYS) on the Redis at `url`: a test world's cleanup. */
export async function deleteRedisKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 5000 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
