#!/usr/bin/env node
// `npm run chaos [-- options]`: builds what it needs, starts a Kafka cluster of
// three brokers and a Redis of the run's own (state in .local/infra-chaos,
// Kafka on 127.0.0.1:9292-9294, Redis on 6479: your usual local servers and
// their data are never touched), runs tools/chaos, then stops them.
//   npm run chaos                     a million events while a broker, features (×3) and
//                                     ingestion are SIGKILLed, then Redis and Kafka outages
//   npm run chaos -- --soak           the maximum measured, then 15 minutes at half of it
//   npm run chaos -- --events 50000   a shorter run
//   npm run chaos -- --help           every option
// Set CHAOS_INFRA_DIR / CHAOS_KAFKA_PORT / CHAOS_REDIS_PORT to move it, CHAOS_KEEP_INFRA=1
// to leave the servers running afterwards.
import { join } from 'node:path';
import { ensureDependencies, log, nxEnv, root, run, runOrExit } from './lib.mjs';

const args = process.argv.slice(2);
const help = args.includes('--help') || args.includes('-h');
const brokersArg = args.findIndex((a) => a === '--brokers' || a.startsWith('--brokers='));
const brokers = brokersArg < 0 ? '3' : args[brokersArg].includes('=') ? args[brokersArg].split('=')[1] : args[brokersArg + 1];
const kafkaBase = Number(process.env.CHAOS_KAFKA_PORT ?? 9292);
const redisPort = Number(process.env.CHAOS_REDIS_PORT ?? 6479);
const infraEnv = {
  ...process.env,
  STORELOOP_INFRA_DIR: process.env.CHAOS_INFRA_DIR ?? join(root, '.local/infra-chaos'),
  KAFKA_CLIENT_BASE: String(kafkaBase),
  KAFKA_CONTROLLER_BASE: String(kafkaBase + 10_000),
  REDIS_PORT: String(redisPort),
};
// The services and the verifier must not follow a KAFKA_BROKERS / REDIS_URL meant for other servers.
delete infraEnv.KAFKA_BROKERS;
infraEnv.REDIS_URL = `redis://127.0.0.1:${redisPort}/0`;
const infra = join(root, 'tools/infra/infra.sh');

await ensureDependencies();
await runOrExit('npx', ['nx', 'run-many', '-t', 'build', '-p', 'ingestion', 'features', 'inference', 'chaos', '--outputStyle=static'], { env: nxEnv });
if (!help) {
  log(`chaos infrastructure: ${brokers} broker(s) from 127.0.0.1:${kafkaBase}, Redis 127.0.0.1:${redisPort}, state ${infraEnv.STORELOOP_INFRA_DIR}`);
  // A broker count other than the one running needs a stop first.
  await run('bash', [infra, 'stop', 'kafka'], { env: infraEnv });
  await runOrExit('bash', [infra, 'up', '--brokers', brokers], { env: infraEnv });
}
const code = await run(process.execPath, ['--max-old-space-size=8192', join(root, 'tools/chaos/dist/main.js'), ...(brokersArg < 0 ? ['--brokers', brokers] : []), ...args], { env: infraEnv });
if (!help && process.env.CHAOS_KEEP_INFRA !== '1') await run('bash', [infra, 'down'], { env: infraEnv });
process.exit(code);
