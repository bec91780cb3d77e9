import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { ConfigError } from './config';
import { createLogger } from './logger';
import { errorCode, errorMessage } from './errors';

/** EX_CONFIG from sysexits.h: the service refuses to start on bad configuration. */
export const EXIT_CONFIG = 78;

export interface ServiceStartOptions<C> {
  service: string;
  /** Parses and validates configuration; throws ConfigError naming each bad variable. */
  loadConfig: () => C;
  createModule: (config: C) => Parameters<typeof NestFactory.create>[0];
  http: (config: C) => { host: string; port: number; shutdownTimeoutMs: number };
  /** Nest application options, e.g. `{ bodyParser: false }` for a service that reads bodies itself. */
  nestOptions?: NestApplicationOptions;
  /** Hook for HTTP middleware (security headers, CORS) that must run before any route: called before `app.init()`. */
  configureHttp?: (app: INestApplication, config: C) => void;
  /** Hook to connect microservice transports (Kafka batch consumers); they start once HTTP listens. */
  beforeListen?: (app: INestApplication, config: C) => Promise<void> | void;
}

/**
 * Boots a Nest service: fail-fast config, JSON logs, graceful shutdown on
 * SIGTERM/SIGINT bounded by a hard timeout so a stuck client never blocks a rollout.
 */
export async function startService<C>(options: ServiceStartOptions<C>): Promise<INestApplication> {
  const bootLogger = createLogger(options.service);
  let config: C;
  try {
    config = options.loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      bootLogger.fatal({ code: error.code, problems: error.problems }, `refusing to start: ${error.message}`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }

  const http = options.http(config);
  const app = await NestFactory.create(options.createModule(config), { ...options.nestOptions, bufferLogs: true });
  app.useLogger(app.get(Logger));
  options.configureHttp?.(app, config);
  // Our own signal handling rather than enableShutdownHooks: Nest re-raises the
  // signal after closing, and an orchestrator should see a clean exit code 0.
  let shuttingDown = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (shuttingDown) return;
      shuttingDown = true;
      bootLogger.info({ signal }, 'shutdown requested');
      setTimeout(() => {
        bootLogger.error({ timeoutMs: http.shutdownTimeoutMs }, 'graceful shutdown timed out; exiting');
        process.exit(1);
      }, http.shutdownTimeoutMs).unref();
      app
        .close()
        .then(() => {
          bootLogger.info('shutdown complete');
          process.exit(0);
        })
        .catch((error: unknown) => {
          bootLogger.error({ err: error }, 'error during shutdown');
          process.exit(1);
        });
    });
  }

  // Module init first (connections, topic provisioning), so consumers subscribe to topics that exist.
  await app.init();
  if (options.beforeListen) await options.beforeListen(app, config);
  // HTTP before the transports: a Kafka consumer's start waits for its group's join, which after a
  // crash waits out the dead member's session; nothing HTTP answers depends on that consumer.
  await app.listen(http.port, http.host);
  bootLogger.info({ url: await app.getUrl() }, `${options.service} listening`);
  await app.startAllMicroservices();
  return app;
}

/** Entry-point wrapper: an unexpected boot failure is logged as JSON and exits non-zero. */
export function runMain(service: string, main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    // `code` is the error's stable code (KAFKA.AUTH_FAILED, REDIS.TLS_FAILED, ...) when it has one.
    createLogger(service).fatal({ code: errorCode(error, 'STARTUP.FAILED'), err: error }, `failed to start: ${errorMessage(error)}`);
    process.exit(1);
  });
}
