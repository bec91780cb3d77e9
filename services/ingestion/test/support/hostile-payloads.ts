import fc from 'fast-check';
import type { IHeaders } from 'kafkajs';
import { TOPICS, exampleData, exampleEvent, type EventTypeName } from '@storeloop/contracts';

/**
 * fast-check arbitraries for input no producer should send. Every hostile
 * value here is invalid by construction (not just "probably"): each one
 * breaks a rule the contracts enforce, so a test can demand that every one
 * of them is rejected. Sizes are bounded so a batch stays well under the
 * 1 MiB body limit and the broker's 1 MB record limit.
 */

/** Event types that land on `retail.events.v1`, so valid events mixed in are all read from one topic. */
export const CUSTOMER_EVENT_TYPES = TOPICS.events.eventTypes as readonly EventTypeName[];

/** A key a test can put on an object so that any pollution of Object.prototype would show up downstream. */
export const POLLUTION_SENTINEL = 'pollutedsentinel';

const TARGET_HUGE_BYTES = { min: 8_000, max: 90_000 };

/** A JSON value's own property, even for names such as `__proto__` that assignment would not create. */
function withOwn<T extends object>(target: T, name: string, value: unknown): T {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** Long strings of characters that are expensive to escape, count or encode (bounded in UTF-8 bytes as JSON). */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer(TARGET_HUGE_BYTES),
    fc.constantFrom(
      { unit: 'x', jsonBytes: 1 },
      { unit: 'é', jsonBytes: 2 },
      { unit: '😀', jsonBytes: 4 },
      { unit: '\u0000', jsonBytes: 6 },
      { unit: '"\\', jsonBytes: 4 },
      { unit: '\u2028', jsonBytes: 3 },
    ),
  )
  .map(([bytes, { unit, jsonBytes }]) => unit.repeat(Math.max(1, Math.floor(bytes / jsonBytes))));

/** `[[[...]]]` or `{"a":{"a":...}}`, deep enough to hurt a recursive walker, shallow enough that V8's JSON.stringify copes. */
export function deepNesting(maxDepth: number): fc.Arbitrary<unknown> {
  return fc.tuple(fc.integer({ min: 64, max: maxDepth }), fc.constantFrom('array', 'object', 'mixed')).map(([depth, shape]) => {
    let value: unknown = 'bottom';
    for (let i = 0; i < depth; i++) {
      const useArray = shape === 'array' || (shape === 'mixed' && i % 2 === 0);
      value = useArray ? [value] : { a: value };
    }
    return value;
  });
}

const smallJson = fc.jsonValue({ maxDepth: 2 });

const scalarGarbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  loneSurrogate,
  fc.constant(''),
);

const pollutionKey = fc.constantFrom('__proto__', 'constructor', 'prototype');

/** An object whose keys include prototype-pollution names, at any depth, with a sentinel payload. */
const pollutingObject: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(fc.array(pollutionKey, { minLength: 1, maxLength: 3 }), smallJson)
  .map(([path, leaf]) => {
    let value: unknown = withOwn({ leaf }, POLLUTION_SENTINEL, true);
    for (const name of [...path].reverse()) value = withOwn({}, name, value);
    return value as Record<string, unknown>;
  });

/** A valid event of a customer type, with the given id; user ids vary so events spread over partitions. */
export function validCustomerEvent(id: string, typeIndex: number, userSeed: number): Record<string, unknown> {
  const type = CUSTOMER_EVENT_TYPES[typeIndex % CUSTOMER_EVENT_TYPES.length];
  const data = exampleData(type) as Record<string, unknown>;
  const overrides = 'userId' in data ? { data: { userId: `user-${userSeed % 97}` } } : { data: { sku: `SKU-${userSeed % 97}` } };
  return exampleEvent(type, { id, ...overrides } as never) as Record<string, unknown>;
}

/** One way to break an otherwise valid event; each is invalid under the CloudEvents envelope or the type's contract. */
type Breaker = (event: Record<string, unknown>) => void;

const requiredAttribute = fc.constantFrom('id', 'source', 'specversion', 'type', 'time', 'data');
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant({}), fc.constant([]), fc.constant([1, 'a']));

const breaker: fc.Arbitrary<Breaker> = fc.oneof(
  requiredAttribute.map((name): Breaker => (event) => void delete event[name]),
  fc
    .tuple(fc.constantFrom('id', 'source', 'type', 'time', 'specversion', 'tenant', 'subject', 'correlationid'), notAString)
    .map(([name, value]): Breaker => (event) => void (event[name] = value)),
  fc
    .constantFrom(
      ['id', ''],
      ['id', '   \t '],
      ['source', ''],
      ['source', 'has spaces'],
      ['source', 'http://[broken'],
      ['specversion', '0.3'],
      ['specversion', '1.0 '],
      ['type', ''],
      ['type', 'com.storeloop.product.viewed.v99'],
      ['type', 'com.storeloop.product.viewed'],
      ['type', 'com.example.unknown.v1'],
      ['time', '2024-05-01T10:15Z'],
      ['time', '2024-05-01'],
      ['time', '2024-13-45T99:99:99Z'],
      ['time', 'yesterday'],
      ['tenant', 'UPPER-case'],
      ['tenant', '-leading'],
      ['tenant', 'a'.repeat(64)],
      ['datacontenttype', 'text/plain'],
      ['traceparent', 'not-a-traceparent'],
      ['correlationid', ''],
      ['subject', '   '],
      ['data_base64', 'AAEC'],
      ['Bad-Extension', 'x'],
      ['with space', 'x'],
      ['ext', { nested: true }],
      ['ext', [1, 2]],
    )
    .map(([name, value]): Breaker => (event) => void (event[name as string] = value)),
  // A text attribute made huge: identifiers stop at 256 characters, tenants at 63; the type is then unknown.
  fc
    .tuple(fc.constantFrom('id', 'type', 'tenant', 'time', 'correlationid'), hugeString)
    // Bracketed by letters: identifiers are trimmed, and a run of U+2028 alone would trim away.
    .map(([name, value]): Breaker => (event) => void (event[name] = `x${value}x`)),
  fc.tuple(fc.constantFrom('id', 'time'), fc.string({ maxLength: 20 })).map(
    ([name, value]): Breaker =>
      (event) =>
        void (event[name] = name === 'id' ? `${'y'.repeat(257)}${value}` : `not a time ${value}`),
  ),
  fc.constantFrom<unknown>(null, [], 'data', 42, {}, true).map((value): Breaker => (event) => void (event.data = value)),
  // A required string inside `data` (userId, or sku where there is none) given the wrong type or an impossible value.
  fc
    .constantFrom<unknown>(123, null, '', '   ', {}, [], true, 'z'.repeat(300))
    .map((value): Breaker => (event) => {
      const data = event.data as Record<string, unknown>;
      data['userId' in data ? 'userId' : 'sku'] = value;
    }),
  // Prototype-pollution names at the top level: `__proto__` is never a legal extension name; the others are not when they hold objects.
  pollutingObject.map((value): Breaker => (event) => void withOwn(event, '__proto__', value)),
  fc
    .tuple(fc.constantFrom('constructor', 'prototype'), pollutingObject)
    .map(([name, value]): Breaker => (event) => void withOwn(event, name, value)),
  fc.tuple(loneSurrogate, fc.constantFrom('time', 'specversion', 'type')).map(
    ([surrogate, name]): Breaker =>
      (event) =>
        void (event[name] = `${String(event[name])}${surrogate}`),
  ),
);

/** Changes that keep validity as it is; put on before the break, so they never repair it. */
const harmlessNoise: fc.Arbitrary<(event: Record<string, unknown>) => void> = fc.oneof(
  fc.constant(() => undefined),
  pollutingObject.map((value) => (event: Record<string, unknown>) => void withOwn(event.data as object, '__proto__', value)),
  pollutingObject.map((value) => (event: Record<string, unknown>) => void withOwn(event.data as object, 'constructor', value)),
  fc.string({ unit: 'binary', maxLength: 30 }).map((text) => (event: Record<string, unknown>) => void (event.subject = `s${text}`)),
);

/** A valid-looking event with exactly one thing wrong (plus harmless oddities). */
export const brokenEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(fc.nat(CUSTOMER_EVENT_TYPES.length - 1), fc.nat(), harmlessNoise, breaker, fc.string({ maxLength: 8 }))
  .map(([typeIndex, seed, noise, breakIt, suffix]) => {
    const event = validCustomerEvent(`broken-${seed}-${suffix}`, typeIndex, seed);
    noise(event);
    breakIt(event);
    return event;
  });

/** Anything but a valid event: wrong types, arrays for objects, pollution keys, deep nesting, broken events. */
export function hostileItem(maxDepth: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 2, arbitrary: scalarGarbage },
    { weight: 2, arbitrary: fc.array(smallJson, { maxLength: 5 }) },
    { weight: 1, arbitrary: brokenEvent.map((event) => [event]) },
    { weight: 2, arbitrary: fc.object({ key: fc.oneof(fc.string({ maxLength: 12 }), pollutionKey), maxDepth: 3, maxKeys: 6 }) },
    { weight: 2, arbitrary: pollutingObject },
    { weight: 1, arbitrary: deepNesting(maxDepth) },
    { weight: 1, arbitrary: deepNesting(maxDepth).map((deep) => ({ ...validCustomerEvent('deep', 0, 1), ext: deep })) },
    { weight: 8, arbitrary: brokenEvent },
  );
}

/** A line of NDJSON that is not a JSON value (or is one, but never an event); never blank, never holding a newline. */
export const garbageLine: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 60 }).map((text) => `#${text.replace(/[\r\n]/g, ' ')}`),
  fc.constantFrom('{"id":', '[1, 2', 'nul', "{'single': 'quotes'}", '{"__proto__": {"polluted": true}', 'undefined', 'NaN', '{"a":1}}'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).map((text) => `{${text.replace(/[\r\n]/g, '.')}`),
);

const MAX_BATCH_BYTES = 600_000;

/** Bytes of the items as sent (valid events are small and counted as nothing). */
function approximateBytes(items: BatchItem[]): number {
  const bytesOf = (item: BatchItem) =>
    item.kind === 'line' ? Buffer.byteLength(item.text) : item.kind === 'hostile' ? Buffer.byteLength(JSON.stringify(item.value) ?? '') : 0;
  return items.reduce((sum, item) => sum + bytesOf(item), 0);
}

export type BatchItem = { kind: 'valid'; typeIndex: number; userSeed: number } | { kind: 'hostile'; value: unknown } | { kind: 'line'; text: string };

/** A batch mixing hostile items with valid events, a few huge items among them, in random order. */
export const mixedBatch: fc.Arbitrary<{ items: BatchItem[]; ndjson: boolean; traceHeaders: Record<string, string> }> = fc.record({
  items: fc
    .tuple(
      fc.array(
        fc.oneof(
          { weight: 3, arbitrary: hostileItem(1500).map((value): BatchItem => ({ kind: 'hostile', value })) },
          { weight: 1, arbitrary: garbageLine.map((text): BatchItem => ({ kind: 'line', text })) },
          {
            weight: 1,
            arbitrary: fc
              .tuple(fc.nat(CUSTOMER_EVENT_TYPES.length - 1), fc.nat())
              .map(([typeIndex, userSeed]): BatchItem => ({ kind: 'valid', typeIndex, userSeed })),
          },
        ),
        { minLength: 15, maxLength: 40 },
      ),
      fc.array(
        fc.oneof(hugeString, hugeString.map((huge) => ({ type: `x${huge}` })), hugeString.map((huge) => [huge])),
        { maxLength: 2 },
      ),
      fc.nat(),
    )
    .map(([items, huge, seed]) => {
      const all = [...items];
      huge.forEach((value, i) => all.splice((seed + i * 7) % (all.length + 1), 0, { kind: 'hostile', value }));
      return all;
    })
    // Far under the 1 MiB limit, so every batch is read and judged item by item.
    .filter((items) => approximateBytes(items) <= MAX_BATCH_BYTES),
  ndjson: fc.boolean(),
  traceHeaders: fc.record(
    {
      traceparent: fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 80 }), fc.constant('00-zz-zz-01')),
      correlationid: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 500 }),
    },
    { requiredKeys: [] },
  ),
});

/** Whole bodies that cannot be read as a batch: not UTF-8, not JSON, not an array, empty, too big, wrong media type. */
export type HostileBody = { bytes: Buffer; contentType: string | undefined };

const validBatchText = (n: number) =>
  JSON.stringify(Array.from({ length: n }, (_, i) => validCustomerEvent(`never-accepted-${i}`, i, i)));

export const hostileBody: fc.Arbitrary<HostileBody> = fc.oneof(
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 4000 }), fc.constantFrom('application/json', 'application/x-ndjson'))
    .map(([bytes, contentType]) => ({ bytes: Buffer.from(bytes), contentType })),
  // A good batch with bytes that are not UTF-8 spliced in: the whole body is refused.
  fc
    .tuple(
      fc.integer({ min: 1, max: 5 }),
      fc.nat(),
      fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]),
      fc.constantFrom('application/json', 'application/x-ndjson'),
    )
    .map(([n, at, bad, contentType]) => {
      const text = Buffer.from(validBatchText(n));
      const cut = at % text.length;
      return { bytes: Buffer.concat([text.subarray(0, cut), Buffer.from(bad), text.subarray(cut)]), contentType };
    }),
  // Truncated JSON.
  fc.tuple(fc.integer({ min: 1, max: 5 }), fc.nat()).map(([n, at]) => {
    const text = validBatchText(n);
    return { bytes: Buffer.from(text.slice(0, at % (text.length - 1))), contentType: 'application/json' };
  }),
  // JSON, but not an array; or an array with nothing in it.
  fc
    .oneof(smallJson.filter((v) => !Array.isArray(v)), fc.constant([]), fc.constant(validCustomerEvent('single-object', 0, 0)))
    .map((value) => ({ bytes: Buffer.from(JSON.stringify(value)), contentType: 'application/json' })),
  fc.constantFrom('', ' ', '\n\n\n', '\r\n \t\n').map((text) => ({ bytes: Buffer.from(text), contentType: 'application/x-ndjson' })),
  // Deep nesting of the body itself, far beyond any recursive parser's stack.
  fc.integer({ min: 10_000, max: 200_000 }).map((depth) => ({
    bytes: Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth - 1)}`),
    contentType: 'application/json',
  })),
  // One more event than the limit, and more bytes than the limit.
  fc.constant({ bytes: Buffer.from(JSON.stringify(Array.from({ length: 1001 }, () => 1))), contentType: 'application/json' }),
  fc.constant({ bytes: Buffer.from(`["${'x'.repeat(1024 * 1024)}"]`), contentType: 'application/json' }),
  // Media types the endpoint does not read.
  fc
    .tuple(fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json-seq', undefined), fc.integer({ min: 1, max: 3 }))
    .map(([contentType, n]) => ({ bytes: Buffer.from(validBatchText(n)), contentType })),
);

// ---------------------------------------------------------------- raw topic --

export interface RawRecordSpec {
  kind: 'valid-structured' | 'valid-binary' | 'hostile';
  /** For valid records: which customer type and user. */
  typeIndex: number;
  userSeed: number;
  /** For hostile records: the record as it will be produced (key, value and headers). */
  key: Buffer | string | null;
  value: Buffer | null;
  headers: IHeaders;
  /** Partition for hostile records (valid ones go where their key hashes). */
  partition: number;
}

/** Headers a hostile producer might add to any record; none starts with `ce_`, so none changes the mode. */
const noiseHeaders: fc.Arbitrary<IHeaders> = fc
  .array(
    fc.tuple(
      fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', 'prototype', 'traceparent', 'correlationid', 'tracestate', 'x-junk'),
      fc.oneof(
        fc.string({ unit: 'grapheme-ascii', maxLength: 100 }).map((text): Buffer | string => text),
        fc.uint8Array({ maxLength: 64 }).map((bytes): Buffer | string => Buffer.from(bytes)),
        fc.constant<Buffer | string>(Buffer.from([0xff, 0xfe, 0x00])),
      ),
    ),
    { maxLength: 5 },
  )
  .map((pairs) => {
    const headers: IHeaders = {};
    for (const [name, value] of pairs) {
      const previous = Object.prototype.hasOwnProperty.call(headers, name) ? headers[name] : undefined;
      // A repeated header is sent twice (kafkajs takes an array), as a confused producer would.
      withOwn(headers, name, previous === undefined ? value : ([] as (Buffer | string)[]).concat(previous as Buffer | string, value));
    }
    return headers;
  });

const rawKey: fc.Arbitrary<Buffer | string | null> = fc.oneof(
  fc.constant(null),
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.uint8Array({ minLength: 1, maxLength: 30 }).map((bytes) => Buffer.from(bytes)),
);

/** Structured-mode values that are not an event: not UTF-8, not JSON, not an object, or an event with a fault. */
const hostileStructuredValue: fc.Arbitrary<Buffer | null> = fc.oneof(
  fc.constant(null),
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
  fc
    .tuple(brokenEvent, fc.nat(), fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf]))
    .map(([event, at, bad]) => {
      const text = Buffer.from(JSON.stringify(event));
      const cut = at % text.length;
      return Buffer.concat([text.subarray(0, cut), Buffer.from(bad), text.subarray(cut)]);
    }),
  // A valid event with invalid UTF-8 inside its id: never valid, since the bytes are refused before parsing.
  fc.nat().map((seed) => {
    const text = JSON.stringify(validCustomerEvent('IDMARK', seed, seed));
    const [before, after] = text.split('IDMARK');
    return Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]);
  }),
  hostileItem(1500).map((value) => Buffer.from(JSON.stringify(value) ?? 'undefined')),
  // Far deeper than the HTTP items: the raw path keeps the bytes and never re-serialises them.
  fc.integer({ min: 5_000, max: 50_000 }).map((depth) => Buffer.from(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`)),
  hugeString.map((huge) => Buffer.from(JSON.stringify({ type: `x${huge}` }))),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).map((text) => Buffer.from(`not json ${text}`)),
);

/** The attributes of a valid event as binary-mode `ce_*` headers, and its data as the value. */
export function toBinaryMode(event: Record<string, unknown>): { headers: Record<string, string>; value: Buffer } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, attribute] of Object.entries(event)) if (name !== 'data') headers[`ce_${name}`] = String(attribute);
  return { headers, value: Buffer.from(JSON.stringify(event.data)) };
}

type BinaryBreaker = (record: { headers: Record<string, unknown>; value: Buffer | null }) => void;

const binaryBreaker: fc.Arbitrary<BinaryBreaker> = fc.oneof(
  hostileStructuredValue.map((value): BinaryBreaker => (record) => void (record.value = value)),
  fc.constantFrom<unknown>(5, 'text', null, [], true).map((data): BinaryBreaker => (record) => void (record.value = Buffer.from(JSON.stringify(data)))),
  fc.constantFrom(
    ['ce_time', 'yesterday'],
    ['ce_time', '2024-05-01T10:15Z'],
    ['ce_type', 'com.example.unknown.v1'],
    ['ce_type', 'com.storeloop.product.viewed.v42'],
    ['ce_id', ''],
    ['ce_source', 'has spaces'],
    ['ce_specversion', '0.3'],
    ['ce_tenant', 'NOT A SLUG'],
    ['ce___proto__', '{"pollutedsentinel":true}'],
    ['ce_Bad', 'x'],
    ['ce_', 'empty name'],
    ['ce_with space', 'x'],
    ['ce_data_base64', 'AAEC'],
    ['ce_data', '{"userId":"u"}'],
    ['content-type', 'text/plain'],
    ['content-type', 'application/xml'],
  ).map(([name, value]): BinaryBreaker => (record) => void withOwn(record.headers, name, value)),
  fc
    .constantFrom('ce_id', 'ce_source', 'ce_type', 'ce_time')
    .map((name): BinaryBreaker => (record) => void delete record.headers[name]),
  // A ce_* header that is not UTF-8.
  fc
    .tuple(fc.constantFrom('ce_id', 'ce_source', 'ce_type', 'ce_subject', 'ce_constructor'), fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xb0, 0x80]))
    .map(([name, bad]): BinaryBreaker => (record) => void withOwn(record.headers, name, Buffer.concat([Buffer.from('v'), Buffer.from(bad)]))),
  // The same attribute twice, the later one wrong: the later one counts.
  fc.constant<BinaryBreaker>((record) => void (record.headers.ce_type = [String(record.headers.ce_type), 'com.example.unknown.v1'])),
  hugeString.map((huge): BinaryBreaker => (record) => void (record.headers.ce_id = `x${huge.slice(0, 20_000)}x`)),
);

/** Extension attributes that are legal by themselves, added before the break. */
const binaryNoise = fc.constantFrom<[string, string][]>([], [['ce_constructor', 'c']], [['ce_prototype', 'p']], [['ce_hasownproperty', 'h']]);

const hostileBinaryRecord = fc
  .tuple(fc.nat(CUSTOMER_EVENT_TYPES.length - 1), fc.nat(), binaryNoise, binaryBreaker)
  .map(([typeIndex, seed, noise, breakIt]) => {
    const { headers, value } = toBinaryMode(validCustomerEvent(`raw-broken-${seed}`, typeIndex, seed));
    const record: { headers: Record<string, unknown>; value: Buffer | null } = { headers, value };
    for (const [name, text] of noise) record.headers[name] = text;
    breakIt(record);
    return record as { headers: IHeaders; value: Buffer | null };
  });

export const rawRecord: fc.Arbitrary<RawRecordSpec> = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constant('hostile-structured' as const) },
      { weight: 3, arbitrary: fc.constant('hostile-binary' as const) },
      { weight: 1, arbitrary: fc.constant('valid-structured' as const) },
      { weight: 1, arbitrary: fc.constant('valid-binary' as const) },
    ),
    hostileStructuredValue,
    hostileBinaryRecord,
    noiseHeaders,
    rawKey,
    fc.nat(),
    fc.nat(CUSTOMER_EVENT_TYPES.length - 1),
    fc.nat(5),
  )
  .map(([mode, structuredValue, binary, noise, key, userSeed, typeIndex, partition]): RawRecordSpec => {
    switch (mode) {
      case 'hostile-structured':
        return { kind: 'hostile', typeIndex, userSeed, key, value: structuredValue, headers: noise, partition };
      case 'hostile-binary':
        return { kind: 'hostile', typeIndex, userSeed, key, value: binary.value, headers: { ...noise, ...binary.headers }, partition };
      default:
        return { kind: mode, typeIndex, userSeed, key: null, value: null, headers: noise, partition };
    }
  });

/** One producer send's worth of raw records, bounded so that no partition's record batch nears the broker's 1 MB limit. */
export const rawRun: fc.Arbitrary<RawRecordSpec[]> = fc
  .array(rawRecord, { minLength: 20, maxLength: 40 })
  .filter((records) => records.reduce((sum, r) => sum + (r.value?.length ?? 0), 0) <= 600_000);
