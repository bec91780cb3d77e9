#!/usr/bin/env node
// Top self-time frames of a V8 .cpuprofile (node --cpu-prof), and CPU time by
// package, to see where a service spends its CPU.
//   node tools/bench/profile-top.mjs .local/prof/ingestion-http-*.cpuprofile [--top 15] [--from 5 --to 25]
// --from/--to (seconds since the profile started) keep one window, e.g. the
// measured part of a bench run. Percentages are of busy time ((idle) left out).
// Node internals and V8 builtins (Buffer, JSON.parse, crypto...) are shown with
// their nearest caller in a package or project, and charged to it in the
// by-package list.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from '../lib.mjs';

/** A short location: path relative to the repo, or the node: URL. */
function where(url) {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith('/') ? relative(root, path) : path;
}

/** What a frame belongs to: a package, a workspace project, or null for Node internals and V8. */
function ownerOf(url) {
  if (!url) return null;
  const path = where(url);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1];
  const project = /^(libs|services)\/([^/]+)/.exec(path);
  if (project) return `${project[1]}/${project[2]}`;
  if (path.startsWith('node:')) return null;
  return path;
}

const SPECIAL = new Set(['(idle)', '(garbage collector)', '(program)', '(root)']);

export function summarizeProfile(file, top = 15, window = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);

  // Nearest ancestor (or self) that belongs to a package or project: who asked for this builtin.
  const callerCache = new Map();
  const callerOf = (id) => {
    if (callerCache.has(id)) return callerCache.get(id);
    let at = id;
    let found = null;
    while (at !== undefined) {
      const frame = nodes.get(at).callFrame;
      const owner = ownerOf(frame.url);
      if (owner) {
        found = { owner, function: frame.functionName || '(anonymous)' };
        break;
      }
      at = parent.get(at);
    }
    callerCache.set(id, found);
    return found;
  };

  const fromUs = window.from === undefined ? -Infinity : window.from * 1e6;
  const toUs = window.to === undefined ? Infinity : window.to * 1e6;
  const selfUs = new Map();
  let elapsed = 0;
  // timeDeltas[i] is the time since the previous sample; the frame of samples[i] ran for timeDeltas[i + 1].
  for (let i = 0; i < profile.samples.length; i++) {
    elapsed += profile.timeDeltas[i] ?? 0;
    if (elapsed < fromUs || elapsed > toUs) continue;
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i + 1] ?? 0));
  }

  let idleUs = 0;
  let busyUs = 0;
  const frames = new Map();
  const owners = new Map();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber, columnNumber } = nodes.get(id).callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const own = ownerOf(url);
    const caller = own || SPECIAL.has(name) ? null : callerOf(id);
    const location = url ? `${where(url)}:${lineNumber + 1}:${columnNumber + 1}` : '';
    const key = `${name}\u0000${location}\u0000${caller?.owner ?? ''}\u0000${caller?.function ?? ''}`;
    const frame = frames.get(key) ?? { function: name, location, owner: own ?? (SPECIAL.has(name) ? name : 'node/V8'), caller, selfUs: 0 };
    frame.selfUs += us;
    frames.set(key, frame);
    const charged = own ?? (SPECIAL.has(name) ? name : caller ? `${caller.owner} (incl. builtins it calls)` : 'node/V8 (no package caller)');
    const ownerKey = own ? `${own} (incl. builtins it calls)` : charged;
    owners.set(ownerKey, (owners.get(ownerKey) ?? 0) + us);
  }
  const pct = (us) => Math.round((1000 * us) / busyUs) / 10;
  const ms = (us) => Math.round(us / 100) / 10;
  return {
    file: where(file),
    window: { from: window.from ?? null, to: window.to ?? null },
    busyMs: ms(busyUs),
    idleMs: ms(idleUs),
    top: [...frames.values()]
      .sort((a, b) => b.selfUs - a.selfUs)
      .slice(0, top)
      .map((f) => ({
        function: f.function,
        location: f.location,
        owner: f.owner,
        calledFrom: f.caller ? `${f.caller.function} (${f.caller.owner})` : null,
        selfMs: ms(f.selfUs),
        selfPctOfBusy: pct(f.selfUs),
      })),
    byOwner: [...owners.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([owner, us]) => ({ owner, selfMs: ms(us), selfPctOfBusy: pct(us) })),
  };
}

export function formatProfile(summary) {
  const lines = [
    `busy ${summary.busyMs} ms, idle ${summary.idleMs} ms${summary.window.from !== null ? ` (window ${summary.window.from}-${summary.window.to} s)` : ''}; % of busy time`,
    '  self %   self ms  function  (location | <- nearest caller in a package)',
  ];
  for (const f of summary.top) {
    const where = f.location && f.owner !== 'node/V8' ? f.location : [f.location, f.calledFrom && `<- ${f.calledFrom}`].filter(Boolean).join(' ');
    lines.push(`  ${String(f.selfPctOfBusy).padStart(5)}  ${String(f.selfMs).padStart(8)}  ${f.function}${where ? `  (${where})` : ''}`);
  }
  lines.push('  by package / project (Node and V8 builtins charged to their caller):');
  for (const o of summary.byOwner) lines.push(`  ${String(o.selfPctOfBusy).padStart(5)}  ${String(o.selfMs).padStart(8)}  ${o.owner}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const at = args.indexOf(name);
    if (at < 0) return undefined;
    const value = Number(args[at + 1]);
    args.splice(at, 2);
    return value;
  };
  const top = flag('--top') ?? 15;
  const window = { from: flag('--from'), to: flag('--to') };
  if (args.length === 0) {
    process.stderr.write('usage: node tools/bench/profile-top.mjs <file.cpuprofile>... [--top 15] [--from s --to s]\n');
    process.exit(2);
  }
  for (const file of args) process.stdout.write(`${file}\n${formatProfile(summarizeProfile(file, top, window))}\n\n`);
}
