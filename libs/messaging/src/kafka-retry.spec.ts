import { retryKafkaCall } from './kafka-retry';

const retriable = () => Object.assign(new Error('This server is not the leader for that topic-partition'), { retriable: true, type: 'NOT_LEADER_FOR_PARTITION' });

describe('retryKafkaCall', () => {
  it('tries again while the error is retriable, then answers', async () => {
    let calls = 0;
    const answer = await retryKafkaCall('offsets', async () => {
      calls += 1;
      if (calls < 3) throw retriable();
      return 'ok';
    }, { delayMs: 1 });
    expect({ answer, calls }).toEqual({ answer: 'ok', calls: 3 });
  });

  it('throws a non-retriable error at once', async () => {
    let calls = 0;
    await expect(retryKafkaCall('offsets', async () => {
      calls += 1;
      throw Object.assign(new Error('topic authorization failed'), { retriable: false });
    }, { delayMs: 1 })).rejects.toThrow('authorization');
    expect(calls).toBe(1);
  });

  it('tries again when kafkajs gave up on a refused connection and marked it not retriable', async () => {
    let calls = 0;
    const refused = () => {
      const cause = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError', retriable: true });
      return Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSNonRetriableError', retriable: false, cause });
    };
    const answer = await retryKafkaCall('offsets', async () => {
      calls += 1;
      if (calls < 3) throw refused();
      return 'ok';
    }, { delayMs: 1 });
    expect({ answer, calls }).toEqual({ answer: 'ok', calls: 3 });
  });

  it('gives up after the attempts with the last error', async () => {
    let calls = 0;
    await expect(retryKafkaCall('offsets', async () => {
      calls += 1;
      throw retriable();
    }, { attempts: 4, delayMs: 1 })).rejects.toThrow('not the leader');
    expect(calls).toBe(4);
  });
});
