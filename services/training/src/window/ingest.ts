import type { ExampleWindow, WindowedExample } from './example-window';
import type { WindowJournal } from './window-journal';

/**
 * Stores a consumed batch: the new examples go to the journal first and only
 * then into the window. Were the window changed first, a failed append would
 * leave them in memory only; the consumer's retry would then see duplicates,
 * journal nothing and commit the offsets, and a restart would lose them.
 * Returns the examples that were new.
 */
export async function ingest(window: ExampleWindow, journal: WindowJournal, incoming: readonly WindowedExample[]): Promise<WindowedExample[]> {
  const fresh = window.unseen(incoming);
  await journal.append(fresh);
  window.add(fresh);
  return fresh;
}
