"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
/**
 * Writes the contract documentation under <workspace>/docs:
 *   docs/schemas/<event-type>.json        JSON Schema of each event (envelope + data)
 *   docs/schemas/topics/<topic-name>.json JSON Schema of each topic's payload
 *   docs/asyncapi.json                    AsyncAPI 3.0 document of every topic
 * Run with `npx nx run contracts:docs`. The output directory may be given as
 * the first argument; it defaults to docs/ in the current working directory,
 * which Nx sets to the workspace root.
 */
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const index_1 = require("../src/index");
function writeJson(path, value) {
    (0, node_fs_1.writeFileSync)(path, `${JSON.stringify(value, null, 2)}\n`);
}
function main() {
    const docsDir = (0, node_path_1.resolve)(process.argv[2] ?? 'docs');
    const schemasDir = (0, node_path_1.join)(docsDir, 'schemas');
    const topicsDir = (0, node_path_1.join)(schemasDir, 'topics');
    const { version } = JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(__dirname, '..', '..', 'package.json'), 'utf8'));
    // docs/schemas is generated as a whole, so a removed event type leaves no stale file.
    (0, node_fs_1.rmSync)(schemasDir, { recursive: true, force: true });
    (0, node_fs_1.mkdirSync)(topicsDir, { recursive: true });
    for (const type of index_1.EVENT_TYPE_NAMES)
        writeJson((0, node_path_1.join)(schemasDir, `${type}.json`), (0, index_1.eventJsonSchema)(type));
    for (const topic of index_1.TOPIC_NAMES)
        writeJson((0, node_path_1.join)(topicsDir, `${topic}.json`), (0, index_1.topicPayloadJsonSchema)(topic));
    writeJson((0, node_path_1.join)(docsDir, 'asyncapi.json'), (0, index_1.buildAsyncApiDocument)({ version }));
    console.log(`contracts docs: ${index_1.EVENT_TYPE_NAMES.length} event schemas, ${index_1.TOPIC_NAMES.length} topic schemas and asyncapi.json in ${docsDir}`);
}
main();
