import { ServiceUnavailableException } from '@nestjs/common';
import { HealthController, type HealthOptions } from './health';
import { LivenessRegistry } from './liveness';

describe('LivenessRegistry', () => {
  it('is alive with no signals, and with signals silent for less than the limit', () => {
    const registry = new LivenessRegistry();
    expect(registry.evaluate(1_000, 10_000)).toEqual({ alive: true, stalled: [] });
    registry.register({ name: 'a', silentForMs: () => 999 });
    registry.register({ name: 'b', silentForMs: () => 1_000 });
    expect(registry.evaluate(1_000, 10_000)).toEqual({ alive: true, stalled: [] });
  });

  it('names every signal silent for longer than the limit, longest first; a signal not running never counts', () => {
    const registry = new LivenessRegistry();
    registry.register({ name: 'short', silentForMs: () => 1_500 });
    registry.register({ name: 'long', silentForMs: () => 9_000 });
    registry.register({ name: 'stopped', silentForMs: () => null });
    registry.register({ name: 'fine', silentForMs: () => 10 });
    expect(registry.evaluate(1_000)).toEqual({
      alive: false,
      stalled: [
        { name: 'long', silentForMs: 9_000 },
        { name: 'short', silentForMs: 1_500 },
      ],
    });
  });

  it('passes the time it evaluates at to each signal, is off at 0, and forgets an unregistered signal', () => {
    const registry = new LivenessRegistry();
    const seen: number[] = [];
    const unregister = registry.register({ name: 'x', silentForMs: (now) => (seen.push(now), now - 1_000) });
    expect(registry.evaluate(5_000, 7_000).alive).toBe(false);
    expect(seen).toEqual([7_000]);
    expect(registry.evaluate(0, 7_000).alive).toBe(true);
    unregister();
    expect(registry.size).toBe(0);
    expect(registry.evaluate(5_000, 7_000).alive).toBe(true);
  });
});

describe('HealthController.live', () => {
  const controller = (options: HealthOptions) =>
    // Only `live` is exercised: it reads the options and nothing else.
    new HealthController(undefined as never, undefined as never, undefined as never, [], options);

  it('answers ok while nothing is stalled', () => {
    const liveness = new LivenessRegistry();
    liveness.register({ name: 'kafka-consumer:g', silentForMs: () => 5 });
    expect(controller({ probeTimeoutMs: 100, stallTimeoutMs: 1_000, liveness }).live()).toEqual({ status: 'ok' });
  });

  it('fails with 503 naming the stalled consumer and how long it has been silent', () => {
    const liveness = new LivenessRegistry();
    liveness.register({ name: 'kafka-consumer:storeloop-features', silentForMs: () => 301_000 });
    let thrown: unknown;
    try {
      controller({ probeTimeoutMs: 100, stallTimeoutMs: 300_000, liveness }).live();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ServiceUnavailableException);
    const exception = thrown as ServiceUnavailableException;
    expect(exception.getStatus()).toBe(503);
    expect(exception.message).toBe('stalled: kafka-consumer:storeloop-features silent for 301 s');
    expect(exception.getResponse()).toEqual({
      status: 'error',
      message: 'stalled: kafka-consumer:storeloop-features silent for 301 s',
      stalled: [{ name: 'kafka-consumer:storeloop-features', silentForMs: 301_000 }],
    });
  });

  it('never fails when the limit is 0 or not set', () => {
    const liveness = new LivenessRegistry();
    liveness.register({ name: 'kafka-consumer:g', silentForMs: () => 10_000_000 });
    expect(controller({ probeTimeoutMs: 100, stallTimeoutMs: 0, liveness }).live()).toEqual({ status: 'ok' });
    expect(controller({ probeTimeoutMs: 100, liveness }).live()).toEqual({ status: 'ok' });
  });
});
