import pino from 'pino';
import { loggerOptions } from './logger';

/** A logger writing JSON lines into an array, with the service's options. */
function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = { write: (line: string) => lines.push(JSON.parse(line)) };
  return { logger: pino(loggerOptions('checkout', level), stream), lines };
}

describe('loggerOptions', () => {
  it('writes JSON with the service name, a level label and an ISO time', () => {
    const { logger, lines } = capture();
    logger.info({ orderId: 'o-1' }, 'order placed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ service: 'checkout', level: 'info', orderId: 'o-1', msg: 'order placed' });
    expect(String(lines[0].time)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('drops lines below the configured level', () => {
    const { logger, lines } = capture('warn');
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });

  it('redacts passwords at the top level and nested in logged objects', () => {
    const { logger, lines } = capture();
    logger.info({ password: 'p1', user: { name: 'ann', password: 'p2' }, config: { redis: { password: 'p3' } } }, 'connect');
    expect(lines[0]).toMatchObject({
      password: '[redacted]',
      user: { name: 'ann', password: '[redacted]' },
      config: { redis: { password: '[redacted]' } },
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/p1|p2|p3/);
  });

  it('redacts credentials in request headers but keeps the other headers', () => {
    const { logger, lines } = capture();
    logger.info({
      req: {
        method: 'GET',
        headers: { authorization: 'Bearer abc.def', 'x-api-key': 'k-123', cookie: 'sid=s3cr3t', 'proxy-authorization': 'Basic cA==', accept: 'application/json' },
      },
      res: { statusCode: 200, headers: { 'set-cookie': 'sid=s3cr3t', 'content-type': 'application/json' } },
    });
    expect(lines[0].req).toEqual({
      method: 'GET',
      headers: { authorization: '[redacted]', 'x-api-key': '[redacted]', cookie: '[redacted]', 'proxy-authorization': '[redacted]', accept: 'application/json' },
    });
    expect(lines[0].res).toEqual({ statusCode: 200, headers: { 'set-cookie': '[redacted]', 'content-type': 'application/json' } });
  });

  it('redacts SASL settings and API keys', () => {
    const { logger, lines } = capture();
    logger.info({ apiKey: 'k1', kafka: { sasl: { username: 'u', password: 'x' }, apiKey: 'k2', brokers: ['b:9092'] } });
    expect(lines[0]).toMatchObject({ apiKey: '[redacted]', kafka: { sasl: '[redacted]', apiKey: '[redacted]', brokers: ['b:9092'] } });
  });

  it('redacts object-store credentials', () => {
    const { logger, lines } = capture();
    logger.info({ s3: { region: 'eu-west-1', credentials: { accessKeyId: 'AKIA1', secretAccessKey: 'wJal' } }, secretAccessKey: 'wJal2' });
    expect(lines[0]).toMatchObject({ s3: { region: 'eu-west-1', credentials: '[redacted]' }, secretAccessKey: '[redacted]' });
    expect(JSON.stringify(lines[0])).not.toMatch(/AKIA1|wJal/);
  });
});
