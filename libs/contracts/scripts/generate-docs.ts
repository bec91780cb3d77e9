/**
 * Writes the contract documentation under <workspace>/docs:
 *   docs/schemas/<event-type>.json        JSON Schema of each event (envelope + data)
 *   docs/schemas/topics/<topic-name>.json JSON Schema of each topic's payload
 *   docs/asyncapi.json                    AsyncAPI 3.0 document of every topic
 * Run with `npx nx run contracts:docs`. The output directory may be given as
 * the first argument; it defaults to docs/ in the current working directory,
 * which Nx sets to the workspace root.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildAsyncApiDocument, EVENT_TYPE_NAMES, eventJsonSchema, TOPIC_NAMES, topicPayloadJsonSchema } from '../src/index';

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function main(): void {
  const docsDir = resolve(process.argv[2] ?? 'docs');
  const schemasDir = join(docsDir, 'schemas');
  const topicsDir = join(schemasDir, 'topics');
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

  // docs/schemas is generated as a whole, so a removed event type leaves no stale file.
  rmSync(schemasDir, { recursive: true, force: true });
  mkdirSync(topicsDir, { recursive: true });

  for (const type of EVENT_TYPE_NAMES) writeJson(join(schemasDir, `${type}.json`), eventJsonSchema(type));
  for (const topic of TOPIC_NAMES) writeJson(join(topicsDir, `${topic}.json`), topicPayloadJsonSchema(topic));
  writeJson(join(docsDir, 'asyncapi.json'), buildAsyncApiDocument({ version }));

  console.log(
    `contracts docs: ${EVENT_TYPE_NAMES.length} event schemas, ${TOPIC_NAMES.length} topic schemas and asyncapi.json in ${docsDir}`,
  );
}

main();
