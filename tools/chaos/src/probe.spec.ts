import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { InferenceProbe, tally } from './probe';

/** A stand-in storefront backend: records who was asked for, and drops the connection for users whose name starts with `drop`. */
function backend(): Promise<{ server: Server; url: string; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const user = decodeURIComponent(/\/v1\/users\/([^/]+)\//.exec(req.url ?? '')?.[1] ?? '');
    asked.push(user);
    if (user.startsWith('drop')) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ recommendationId: `rec-${asked.length}`, degraded: false }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked })));
}

async function askTimes(probe: InferenceProbe, n: number): Promise<void> {
  probe.start();
  while (probe.answers.length < n) await sleep(5);
  await probe.stop();
}

describe('InferenceProbe', () => {
  let stub: Awaited<ReturnType<typeof backend>>;
  beforeEach(async () => (stub = await backend()));
  afterEach(() => new Promise<void>((resolve) => stub.server.close(() => resolve())));

  it('asks for its users in turn, and every hotEvery-th request for one of the hot users', async () => {
    const probe = new InferenceProbe(() => stub.url, 'key', 'p-', 0, { users: 3, hotUsers: 2, hotEvery: 4 });
    await askTimes(probe, 9);
    expect(stub.asked.slice(0, 9)).toEqual(['p-hot-0', 'p-1', 'p-2', 'p-0', 'p-hot-1', 'p-2', 'p-0', 'p-1', 'p-hot-0']);
    expect(tally(probe.answers.slice(0, 9))).toEqual({ '200': 9 });
  });

  it('keeps 50 users in turn by default', async () => {
    const probe = new InferenceProbe(() => stub.url, 'key', 'p-', 0);
    await askTimes(probe, 51);
    expect(new Set(stub.asked.slice(0, 50)).size).toBe(50);
    expect(stub.asked[50]).toBe('p-0');
  });

  it('records a dropped connection as a network failure with its cause', async () => {
    const probe = new InferenceProbe(() => stub.url, 'key', 'drop', 0, { users: 1 });
    await askTimes(probe, 1);
    expect(probe.answers[0]).toMatchObject({ status: 'network', degraded: false });
    expect(probe.answers[0].error).toEqual(expect.any(String));
    expect(Object.keys(tally(probe.answers))[0]).toMatch(/^network \S+/);
  });
});
