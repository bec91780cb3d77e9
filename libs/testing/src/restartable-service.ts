import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { track, type RunningProcess } from './processes';
import { repoRoot } from './repo';
import { waitFor } from './wait';

export interface ProcessExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A built service (services/<name>/dist/main.js) on a port of the test's
 * choosing, so the test can SIGKILL it and start a new process where its
 * clients already point. Every exit is recorded: a test can tell the kills it
 * made from a crash.
 */
export class RestartableService {
  readonly exits: ProcessExit[] = [];
  private running?: RunningProcess;
  private earlierOutput = '';

  constructor(
    readonly service: string,
    private readonly env: Record<string, string>,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.running?.child.pid;
  }

  get isRunning(): boolean {
    const child = this.running?.child;
    return Boolean(child && child.exitCode === null && child.signalCode === null);
  }

  /** Starts a process and waits until it answers /health/live; fails at once if it exits first. */
  async start(timeoutMs = 90_000): Promise<void> {
    if (this.running) this.earlierOutput += this.running.output();
    const child = spawn(process.execPath, [join(repoRoot(__dirname), 'services', this.service, 'dist', 'main.js')], {
      env: { ...process.env, ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid ?? -1;
    child.once('exit', (code, signal) => this.exits.push({ pid, code, signal }));
    this.running = track(child);
    const state = await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) return 'exited';
        return (await fetch(`${this.url}/health/live`, { signal: AbortSignal.timeout(2000) })).ok ? 'live' : undefined;
      },
      { timeoutMs, intervalMs: 100, description: `${this.service} (pid ${pid}) to answer /health/live on port ${this.port}` },
    );
    if (state === 'exited') throw new Error(`${this.service} exited during start: ${this.output().slice(-3000)}`);
  }

  /** SIGKILL: no shutdown hook runs; open transactions and in-flight work are simply cut off. */
  async kill(): Promise<ProcessExit> {
    const running = this.running;
    if (!running) throw new Error(`no ${this.service} process to kill`);
    await running.stop('SIGKILL');
    return this.exits[this.exits.length - 1];
  }

  /** SIGTERM, and the exit code (or signal) the process ended with. */
  async stop(timeoutMs = 30_000): Promise<number | string | undefined> {
    return this.running?.stop('SIGTERM', timeoutMs);
  }

  /** Output of every process started so far, oldest first. */
  output(): string {
    return this.earlierOutput + (this.running?.output() ?? '');
  }

  async dispose(): Promise<void> {
    await this.running?.stop('SIGKILL');
  }
}
