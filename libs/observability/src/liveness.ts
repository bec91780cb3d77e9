/**
 * Liveness of the loops a service runs besides answering HTTP (Kafka
 * consumers): each reports how long it has been silent, and `/health/live`
 * fails once one has been silent for longer than the configured limit, so the
 * orchestrator restarts a process whose consumer hangs without an error (a
 * fetch that never returns) instead of leaving its partitions unconsumed.
 */
export interface LivenessSignal {
  /** Shown in `/health/live` when the signal fails, e.g. `kafka-consumer:storeloop-features`. */
  readonly name: string;
  /** Milliseconds since the loop last showed progress, or null while it is not meant to run. */
  silentForMs(now: number): number | null;
}

export interface LivenessVerdict {
  alive: boolean;
  /** The signals silent for longer than the limit, longest first. */
  stalled: { name: string; silentForMs: number }[];
}

export class LivenessRegistry {
  private readonly signals = new Set<LivenessSignal>();

  /** Adds a signal; the returned function removes it (a consumer stopped on purpose is not stalled). */
  register(signal: LivenessSignal): () => void {
    this.signals.add(signal);
    return () => {
      this.signals.delete(signal);
    };
  }

  get size(): number {
    return this.signals.size;
  }

  /** `stallMs` 0 turns the check off. */
  evaluate(stallMs: number, now = Date.now()): LivenessVerdict {
    if (stallMs <= 0) return { alive: true, stalled: [] };
    const stalled: LivenessVerdict['stalled'] = [];
    for (const signal of this.signals) {
      const silentForMs = signal.silentForMs(now);
      if (silentForMs !== null && silentForMs > stallMs) stalled.push({ name: signal.name, silentForMs });
    }
    stalled.sort((a, b) => b.silentForMs - a.silentForMs);
    return { alive: stalled.length === 0, stalled };
  }
}

/**
 * The process's registry: consumers register here by default, and the health
 * controller reads it, so no service has to thread it through its modules.
 */
export const processLiveness = new LivenessRegistry();
