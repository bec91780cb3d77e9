import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { env, parseEnv } from '@storeloop/observability';

export const API_SCOPES = ['ingest', 'infer', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** A client's key as the service stores it: only the SHA-256 of the secret, never the secret. */
export interface ApiKeyRecord {
  id: string;
  scopes: ApiScope[];
  sha256: string;
  /** Requests per second this key may sustain; falls back to RATE_LIMIT_PER_SEC. */
  ratePerSec?: number;
  burst?: number;
}

const keyRecord = z.object({
  id: z.string().regex(/^[a-zA-Z0-9._-]{1,64}$/, 'id: letters, digits, ".", "_" or "-"'),
  scopes: z.array(z.enum(API_SCOPES)).min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex digits'),
  ratePerSec: z.number().positive().optional(),
  burst: z.number().int().positive().optional(),
});

/** `id:scope+scope:sha256hex[:ratePerSec]`, comma-separated: fits an environment variable or a Secret. */
function parseCompactKeys(value: string): ApiKeyRecord[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [id, scopes, sha256, rate] = entry.split(':');
      return keyRecord.parse({
        id,
        scopes: (scopes ?? '').split('+').filter(Boolean),
        sha256,
        ...(rate ? { ratePerSec: Number(rate) } : {}),
      });
    });
}

export const securityConfigSchema = z.object({
  API_KEYS: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (!value) return;
      try {
        parseCompactKeys(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `expected id:scope+scope:sha256[:ratePerSec],... (${(error as Error).message.split('\n')[0]})` });
      }
    }),
  API_KEYS_FILE: z.string().optional(),
  RATE_LIMIT_PER_SEC: env.int(50, { min: 1 }),
  RATE_LIMIT_BURST: env.int(100, { min: 1 }),
});
export type SecuritySettings = z.infer<typeof securityConfigSchema>;

export function loadSecuritySettings(source: Record<string, string | undefined> = process.env): SecuritySettings {
  return parseEnv(securityConfigSchema, source);
}

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * The keys a service accepts: from API_KEYS and from API_KEYS_FILE (a JSON
 * array of records), the file re-read when it changes so keys rotate without
 * a restart. Lookups hash the presented secret, so no secret is kept in memory.
 * A file that cannot be read at start stops the service; one that turns
 * unreadable later (deleted, half written, invalid) leaves the last good keys
 * in force and is tried again at the next check.
 */
export class ApiKeyStore {
  private byHash = new Map<string, ApiKeyRecord>();
  private fileMtimeMs = -1;
  private lastFileCheck = 0;

  constructor(
    private readonly settings: SecuritySettings,
    private readonly fileCheckIntervalMs = 5000,
    private readonly onReloadFailed: (error: Error) => void = () => undefined,
  ) {
    this.reload();
  }

  get size(): number {
    return this.byHash.size;
  }

  lookup(secret: string): ApiKeyRecord | undefined {
    this.reloadIfFileChanged();
    return this.byHash.get(sha256Hex(secret));
  }

  private reloadIfFileChanged(): void {
    if (!this.settings.API_KEYS_FILE) return;
    const now = Date.now();
    if (now - this.lastFileCheck < this.fileCheckIntervalMs) return;
    this.lastFileCheck = now;
    const mtime = statSync(this.settings.API_KEYS_FILE, { throwIfNoEntry: false })?.mtimeMs ?? -1;
    if (mtime === this.fileMtimeMs) return;
    try {
      this.reload();
    } catch (error) {
      this.onReloadFailed(new Error(`API_KEYS_FILE ${this.settings.API_KEYS_FILE} not reloaded, the previous keys stay in force: ${keyFileProblem(error)}`));
    }
  }

  private reload(): void {
    const records: ApiKeyRecord[] = this.settings.API_KEYS ? parseCompactKeys(this.settings.API_KEYS) : [];
    let mtime = -1;
    if (this.settings.API_KEYS_FILE) {
      const file = this.settings.API_KEYS_FILE;
      mtime = statSync(file).mtimeMs;
      records.push(...z.array(keyRecord).parse(JSON.parse(readFileSync(file, 'utf8'))));
    }
    this.byHash = new Map(records.map((record) => [record.sha256, record]));
    this.fileMtimeMs = mtime;
  }
}

/** What is wrong with a key file, without its content: a JSON parser quotes the text it choked on. */
function keyFileProblem(error: unknown): string {
  if (error instanceof SyntaxError) return 'not valid JSON';
  if (error instanceof z.ZodError) return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  return (error as NodeJS.ErrnoException).code ?? 'unreadable';
}
