import { RestartableService } from '@storeloop/testing';

export type { ProcessExit } from '@storeloop/testing';

/** The built ingestion service on a fixed port, killable and restartable (see RestartableService). */
export class IngestionProcess extends RestartableService {
  constructor(env: Record<string, string>, port: number) {
    super('ingestion', env, port);
  }
}
