import { createServer, connect, type Socket } from 'node:net';
import { FeatureStoreGate, FeatureStoreUnavailable, degradedHeaderValue, degradedMetricReason } from './feature-store-gate';
import { featureStoreReadinessProbe, relaxRedisReadiness } from './feature-store-readiness';

function gate(status = 'ready', options: { deadlineMs?: number; retryMs?: number } = {}) {
  const clock = { now: 1_000 };
  const redis = { status };
  const g = new FeatureStoreGate(redis as never, { deadlineMs: options.deadlineMs ?? 20, retryMs: options.retryMs ?? 1_000, now: () => clock.now });
  return { gate: g, clock, redis };
}

describe('FeatureStoreGate (the degrade decision)', () => {
  it('passes reads through while Redis is up and answers', async () => {
    const { gate: g } = gate();
    await expect(g.read(async () => 42)).resolves.toBe(42);
    expect(g.available).toBe(true);
  });

  it('does not try a read while the connection is not ready (offline queue: no request waits for the outage)', async () => {
    for (const status of ['connecting', 'reconnecting', 'connect', 'close', 'end', 'wait']) {
      const { gate: g } = gate(status);
      const read = jest.fn(async () => 1);
      await expect(g.read(read)).rejects.toThrow(new FeatureStoreUnavailable(`redis connection is ${status}`));
      expect(read).not.toHaveBeenCalled();
    }
  });

  it('abandons a read after the deadline and skips reads for INFERENCE_REDIS_RETRY_MS, then tries again', async () => {
    const { gate: g, clock } = gate('ready', { deadlineMs: 10, retryMs: 500 });
    const late = g.read(() => new Promise<number>(() => undefined));
    await expect(late).rejects.toThrow(/no answer from redis within 10 ms/);
    const skipped = jest.fn(async () => 1);
    await expect(g.read(skipped)).rejects.toBeInstanceOf(FeatureStoreUnavailable);
    expect(skipped).not.toHaveBeenCalled();
    expect(g.available).toBe(false);
    expect(g.retryAfterSeconds).toBe(1);
    clock.now += 500;
    await expect(g.read(async () => 7)).resolves.toBe(7);
    expect(g.available).toBe(true);
  });

  it('gives up the reads behind a late one at once (one connection answers in order)', async () => {
    const { gate: g } = gate('ready', { deadlineMs: 200 });
    const first = g.read(() => new Promise(() => undefined));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const second = g.read(() => new Promise(() => undefined));
    await expect(first).rejects.toThrow(/no answer from redis within 200 ms/);
    await expect(second).rejects.toThrow(/given up: an earlier read failed \(no answer from redis within 200 ms\)/);
    // Its own deadline would have come 200 ms after it started.
    expect(Date.now() - started).toBeLessThan(190);
  });

  it('after the retry window lets one read find out whether Redis is back while the others keep skipping', async () => {
    const changes: boolean[] = [];
    const clock = { now: 0 };
    const g = new FeatureStoreGate({ status: 'ready' } as never, { deadlineMs: 10, retryMs: 100, now: () => clock.now, onChange: (available) => changes.push(available) });
    await expect(g.read(() => new Promise(() => undefined))).rejects.toBeInstanceOf(FeatureStoreUnavailable);
    clock.now = 100;
    let answer!: (value: number) => void;
    const probe = g.read(() => new Promise<number>((resolve) => (answer = resolve)));
    const other = jest.fn(async () => 2);
    await expect(g.read(other)).rejects.toThrow(/checking whether redis is back/);
    expect(other).not.toHaveBeenCalled();
    answer(1);
    await expect(probe).resolves.toBe(1);
    await expect(g.read(other)).resolves.toBe(2);
    // Told once when reads start failing and once when they work again.
    expect(changes).toEqual([false, true]);
  });

  it('counts a failed command (refused, closed, max retries) as unavailable, and late failures of an abandoned read go nowhere', async () => {
    const { gate: g } = gate('ready', { deadlineMs: 10 });
    await expect(g.read(async () => Promise.reject(new Error('Reached the max retries per request limit (which is 2).')))).rejects.toThrow(/redis read failed: Reached the max retries/);
    expect(g.available).toBe(false);
    const { gate: other } = gate('ready', { deadlineMs: 5 });
    let reject!: (error: Error) => void;
    await expect(other.read(() => new Promise((_, r) => (reject = r)))).rejects.toBeInstanceOf(FeatureStoreUnavailable);
    // ioredis's own command timeout fires later: no unhandled rejection.
    reject(new Error('Command timed out'));
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('does not count its own event-loop lag against Redis: a reply that arrived during a busy spell is taken', async () => {
    const server = createServer();
    const peer = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    const remote = await peer;
    await new Promise((resolve) => setTimeout(resolve, 20));
    try {
      const { gate: g } = gate('ready', { deadlineMs: 10 });
      // From the check phase: the loop's next steps are timers (the deadline, due by then), then reading sockets.
      const { reply } = await new Promise<{ reply: Promise<string> }>((started) =>
        setImmediate(() => {
          const pending = g.read(
            () =>
              new Promise<string>((resolve) => {
                client.once('data', (data) => resolve(String(data)));
                remote.write('PONG');
              }),
          );
          // The event loop is busy past the deadline while the reply waits in the socket.
          const until = Date.now() + 60;
          while (Date.now() < until);
          started({ reply: pending });
        }),
      );
      await expect(reply).resolves.toBe('PONG');
    } finally {
      client.destroy();
      remote.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('does not hide bugs of our own code as a degraded answer', async () => {
    const { gate: g } = gate();
    await expect(
      g.read(async () => {
        throw new TypeError('cannot read x of undefined');
      }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(g.available).toBe(true);
  });

  it('with INFERENCE_REDIS_RETRY_MS=0 every request tries again', async () => {
    const { gate: g } = gate('ready', { retryMs: 0, deadlineMs: 5 });
    await expect(g.read(() => new Promise(() => undefined))).rejects.toBeInstanceOf(FeatureStoreUnavailable);
    expect(g.available).toBe(true);
  });

  it('names the reason in the header and metric forms', () => {
    expect(degradedHeaderValue('FEATURE_STORE_UNAVAILABLE')).toBe('feature-store-unavailable');
    expect(degradedMetricReason('FEATURE_STORE_UNAVAILABLE')).toBe('feature_store_unavailable');
  });
});

describe('readiness while Redis is down', () => {
  const down = { name: 'redis', check: async () => Promise.reject(new Error('redis connection is reconnecting')) };
  const up = { name: 'redis', check: async () => ({ pingMs: 0.3 }) };

  it('keeps the instance ready with a loaded catalogue, and reports Redis', async () => {
    await expect(featureStoreReadinessProbe(down, () => true, 100).check()).resolves.toEqual({ reachable: false, error: 'redis connection is reconnecting', gatesReadiness: false, degraded: true });
    await expect(featureStoreReadinessProbe(up, () => true, 100).check()).resolves.toEqual({ pingMs: 0.3, gatesReadiness: false });
  });

  it('fails readiness before any catalogue is loaded (nothing to answer degraded from)', async () => {
    await expect(featureStoreReadinessProbe(down, () => false, 100).check()).rejects.toThrow(/no catalogue loaded yet/);
  });

  it('bounds a hung PING (SIGSTOPped Redis) by its own deadline', async () => {
    const hung = { name: 'redis', check: () => new Promise<never>(() => undefined) };
    await expect(featureStoreReadinessProbe(hung, () => true, 20).check()).resolves.toMatchObject({ reachable: false, error: 'no answer within 20 ms' });
  });

  it('replaces the platform redis probe in place', () => {
    const kafka = { name: 'kafka', check: async () => undefined };
    const probes = [kafka, down];
    relaxRedisReadiness(probes, () => true, 100);
    expect(probes[0]).toBe(kafka);
    expect(probes[1]).not.toBe(down);
    expect(probes[1].name).toBe('redis');
  });
});
