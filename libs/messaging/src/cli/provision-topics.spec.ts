import { EXIT, KAFKA_UNREACHABLE, connectWithRetry, formatReport, main } from './provision-topics';

function flakyAdmin(failures: number) {
  let calls = 0;
  return {
    connects: () => calls,
    disconnects: 0,
    async connect() {
      calls += 1;
      if (calls <= failures) throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
    },
    async describeCluster() {
      return { brokers: [{ nodeId: 1, host: 'kafka', port: 9092 }], controller: 1, clusterId: 'c' };
    },
    async disconnect() {
      this.disconnects += 1;
    },
  };
}

describe('connectWithRetry', () => {
  it('retries with doubling pauses until the broker answers', async () => {
    const admin = flakyAdmin(2);
    const pauses: number[] = [];
    await connectWithRetry(admin, { attempts: 5, retryDelayMs: 100 }, ['kafka:29092'], undefined, async (ms) => {
      pauses.push(ms);
    });
    expect(admin.connects()).toBe(3);
    expect(pauses).toEqual([100, 200]);
  });

  it('gives up after the bounded attempts with PROVISION.KAFKA_UNREACHABLE naming the brokers', async () => {
    const admin = flakyAdmin(Number.POSITIVE_INFINITY);
    const retries: number[] = [];
    const attempt = connectWithRetry(admin, { attempts: 3, retryDelayMs: 0 }, ['kafka:29092'], (n) => retries.push(n), async () => undefined);
    await expect(attempt).rejects.toMatchObject({
      code: KAFKA_UNREACHABLE,
      message: expect.stringMatching(/^Kafka at kafka:29092 did not answer after 3 attempt\(s\): connect ECONNREFUSED/),
    });
    expect(admin.connects()).toBe(3);
    expect(retries).toEqual([1, 2]);
    expect(admin.disconnects).toBe(3);
  });
});

describe('formatReport', () => {
  it('prints one line per topic with its broker settings, the drift, and a summary', () => {
    const topic = (name: string) => ({ name, partitions: 6, replicationFactor: 1, configs: { 'cleanup.policy': 'delete', 'retention.ms': '1000' } });
    const lines = formatReport(
      {
        created: ['a'],
        existing: ['b'],
        topics: [topic('a'), topic('b')],
        drift: [{ topic: 'b', setting: 'retention.ms', registry: '2000', broker: '1000' }],
      },
      ['kafka:29092'],
    );
    expect(lines).toEqual([
      'created  a  partitions=6 replication=1 cleanup.policy=delete retention.ms=1000',
      'exists   b  partitions=6 replication=1 cleanup.policy=delete retention.ms=1000',
      'drift    b  retention.ms: broker 1000, registry 2000',
      '2 topics on kafka:29092: 1 created, 1 existing, 1 drifted setting(s)',
    ]);
  });
});

describe('main', () => {
  let stderr: jest.SpyInstance;
  let stdout: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  it('exits 2 with the variable named when KAFKA_* is invalid, before touching the network', async () => {
    await expect(main([], { KAFKA_BROKERS: 'no-port' })).resolves.toBe(EXIT.usage);
    expect(stderr.mock.calls.join('')).toMatch(/^CONFIG\.INVALID: .*KAFKA_BROKERS: "no-port" is not host:port/s);
  });

  it('exits 2 with the usage text for a bad flag', async () => {
    await expect(main(['--nope'], {})).resolves.toBe(EXIT.usage);
    expect(stderr.mock.calls.join('')).toContain('PROVISION.USAGE');
    expect(stderr.mock.calls.join('')).toContain('Usage: node libs/messaging/dist/cli/provision-topics.js');
  });

  it('prints the usage text for --help and exits 0', async () => {
    await expect(main(['--help'], { KAFKA_BROKERS: 'no-port' })).resolves.toBe(EXIT.ok);
    expect(stdout.mock.calls.join('')).toContain('--strict');
  });
});
