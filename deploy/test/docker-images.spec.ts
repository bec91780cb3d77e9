// Checks of the service images without a Docker engine: the Dockerfiles as
// text (stages, user, health check, port, command, copied paths, secrets,
// base images, consistency), .dockerignore, and the staging script that
// decides what each runtime image holds, run on a synthetic repository.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { envOf, execForm, finalStage, instructions, readDockerfile, type Dockerfile, type Stage } from './docker-parse';

const repoRoot = resolve(__dirname, '../..');
const services = ['ingestion', 'features', 'training', 'inference', 'replenishment'] as const;
type Service = (typeof services)[number];
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const dockerfileOf = (service: Service) => readDockerfile(join(repoRoot, 'services', service, 'Dockerfile'));
const secretLooking = /PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|ACCESS_KEY|API_KEY/;

/** The port each service listens on, as tools/start.mjs starts it. */
function startPorts(): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const match of read('tools/start.mjs').matchAll(/\{ name: '([a-z]+)', port: (\d+) \}/g)) ports[match[1]!] = Number(match[2]);
  return ports;
}

function stageNamed(file: Dockerfile, name: string): Stage {
  const stage = file.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  return stage;
}

/** `COPY --from=<stage> [--chown=...] <src> <dest>` of a stage. */
function copiesFrom(stage: Stage): { from: string; source: string; dest: string }[] {
  return instructions(stage, 'COPY')
    .map((args) => args.split(/\s+/))
    .filter((parts) => parts[0]!.startsWith('--from='))
    .map((parts) => {
      const paths = parts.filter((p) => !p.startsWith('--'));
      return { from: parts[0]!.slice('--from='.length), source: paths[0]!, dest: paths[1]! };
    });
}

/**
 * Whether `source` exists in `stage` after its instructions: node_modules
 * written by `npm ci` under its WORKDIR, the output directory of the staging
 * script, or the Node binary of a Node base image.
 */
function producedBy(stage: Stage, source: string, file: Dockerfile): boolean {
  const runs = instructions(stage, 'RUN').join('\n');
  const fromStage = file.stages.find((s) => s.name === stage.from);
  const workdir = instructions(stage, 'WORKDIR').at(-1) ?? (fromStage && instructions(fromStage, 'WORKDIR').at(-1));
  if (source === `${workdir}/node_modules`) return /\bnpm (ci|rebuild)\b/.test(runs) || (fromStage !== undefined && producedBy(fromStage, source, file));
  const staged = runs.match(/node deploy\/docker\/stage-runtime\.mjs \S+ (\/\S+)/);
  if (staged && source.replace(/\/$/, '') === staged[1]) return true;
  return source === '/usr/local/bin/node' && stage.from === '${NODE_IMAGE}';
}

/** Writable directories a service's config defaults to under .local/ (e.g. TRAINING_STATE_DIR): the image must move them. */
function stateDirVariables(service: Service): string[] {
  const sources = [join('services', service, 'src')];
  if (read(`services/${service}/src/config.ts`).includes('artifactStoreConfigSchema')) sources.push('libs/ml/src/artifacts');
  const names = new Set<string>();
  for (const dir of sources) {
    for (const file of readdirSync(join(repoRoot, dir), { recursive: true }).map(String)) {
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
      for (const match of read(join(dir, file)).matchAll(/([A-Z][A-Z0-9_]*_DIR): z\.string\(\)[^\n]*\.default\('\.local\//g)) names.add(match[1]!);
    }
  }
  return [...names].sort();
}

describe.each(services)('services/%s/Dockerfile', (service) => {
  const file = dockerfileOf(service);
  const runtime = finalStage(file);
  const port = startPorts()[service]!;

  it('builds in stages and runs from a separate runtime stage', () => {
    expect(file.stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
  });

  it('listens on the port tools/start.mjs and the service config use', () => {
    expect(port).toBeGreaterThan(0);
    expect(read(`services/${service}/src/config.ts`)).toContain(`DEFAULT_PORT = ${port};`);
    expect(instructions(runtime, 'EXPOSE')).toEqual([String(port)]);
    expect(envOf(runtime).PORT).toBe(String(port));
    expect(envOf(runtime).NODE_ENV).toBe('production');
  });

  it('runs as a numeric non-root user', () => {
    const users = instructions(runtime, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0]!.split(':').map(Number);
    expect(uid).toBe(10001);
    expect(gid).toBe(10001);
    expect(instructions(runtime, 'RUN').join('\n')).toContain('useradd --system --uid 10001');
  });

  it('checks /health/live on its port with Node (no curl in a slim image)', () => {
    const healthcheck = instructions(runtime, 'HEALTHCHECK');
    expect(healthcheck).toHaveLength(1);
    const [node, flag, script] = execForm(healthcheck[0]!);
    expect([node, flag]).toEqual(['node', '-e']);
    expect(script).toContain("fetch('http://127.0.0.1:' + (process.env.PORT || '" + port + "') + '/health/live'");
    expect(script).toContain('process.exit(r.ok ? 0 : 1)');
  });

  it(`starts services/${service}/dist/main.js, which the service build produces`, () => {
    expect(execForm(instructions(runtime, 'CMD')[0]!)).toEqual(['node', `services/${service}/dist/main.js`]);
    expect(read(`services/${service}/tsconfig.build.json`)).toContain('"outDir": "dist"');
    expect(existsSync(join(repoRoot, 'services', service, 'src/main.ts'))).toBe(true);
  });

  it('copies from earlier stages only what they produce', () => {
    const copies = copiesFrom(runtime);
    expect(copies.map((c) => c.from).sort()).toEqual(['build', 'deps']);
    for (const copy of copies) expect({ ...copy, produced: producedBy(stageNamed(file, copy.from), copy.source, file) }).toMatchObject({ produced: true });
    const build = stageNamed(file, 'build');
    expect(instructions(build, 'RUN').join('\n')).toContain(`npx nx run ${service}:build`);
    expect(instructions(build, 'RUN').join('\n')).toContain(`node deploy/docker/stage-runtime.mjs ${service} /runtime`);
  });

  it('installs every workspace manifest before npm ci, in the build and deps stages', () => {
    const workspaces = ['libs', 'services'].flatMap((dir) =>
      readdirSync(join(repoRoot, dir)).filter((name) => existsSync(join(repoRoot, dir, name, 'package.json'))).map((name) => `${dir}/${name}/package.json`),
    );
    for (const stage of [stageNamed(file, 'build'), stageNamed(file, 'deps')]) {
      const copied = instructions(stage, 'COPY').map((args) => args.split(/\s+/)[0]);
      expect(copied).toEqual(expect.arrayContaining(['package.json', ...workspaces]));
    }
    expect(instructions(stageNamed(file, 'deps'), 'RUN').join('\n')).toMatch(/npm ci --omit=dev --ignore-scripts/);
  });

  it('moves every writable directory of its config to a volume under /var/lib/storeloop owned by the user', () => {
    const env = envOf(runtime);
    const variables = stateDirVariables(service);
    const volumes = instructions(runtime, 'VOLUME').flatMap(execForm);
    for (const variable of variables) {
      expect(env[variable]).toMatch(/^\/var\/lib\/storeloop\/[a-z-]+$/);
      expect(volumes).toContain(env[variable]);
    }
    expect(volumes).toHaveLength(variables.length);
    if (variables.length > 0) {
      const runs = instructions(runtime, 'RUN').join('\n');
      expect(runs).toContain('chown -R 10001:10001 /var/lib/storeloop');
      for (const volume of volumes) expect(runs).toContain(volume);
    }
  });

  it('holds no secret: no secret-looking ENV or ARG, nothing but the non-secret build arguments', () => {
    for (const stage of file.stages) {
      for (const name of Object.keys(envOf(stage))) expect(name).not.toMatch(secretLooking);
      for (const arg of instructions(stage, 'ARG')) expect(arg).not.toMatch(secretLooking);
    }
    expect(Object.keys(file.globalArgs)).toEqual(['NODE_IMAGE']);
  });

  it('carries the OCI labels', () => {
    const labels = instructions(runtime, 'LABEL').join(' ');
    for (const key of ['title', 'description', 'version', 'revision', 'source', 'licenses']) expect(labels).toContain(`org.opencontainers.image.${key}=`);
    expect(labels).toContain(`org.opencontainers.image.title="storeloop-${service}"`);
  });
});

describe('the five service Dockerfiles together', () => {
  it('use one Node base image, node:20 on Debian bookworm slim, for every stage', () => {
    for (const service of services) {
      const file = dockerfileOf(service);
      expect(file.globalArgs.NODE_IMAGE).toBe('node:20-bookworm-slim');
      expect(file.stages.map((s) => s.from)).toEqual(['${NODE_IMAGE}', '${NODE_IMAGE}', '${NODE_IMAGE}']);
    }
  });

  it('differ only in the service name, port, description and writable state', () => {
    const normalised = services.map((service) => {
      const port = String(startPorts()[service]);
      return read(`services/${service}/Dockerfile`)
        .replace(/^COPY (libs|services)\/[a-z-]+\/package\.json .*\n/gm, '')
        .replace(/# ---- writable state:[\s\S]*?\nVOLUME \[[^\n]*\n/, '')
        .replace(/org\.opencontainers\.image\.description="[^"]*"/, 'DESCRIPTION')
        .replaceAll(`services/${service}/Dockerfile`, 'SELF')
        .replace(new RegExp(`\\b${service}\\b`, 'g'), 'SERVICE')
        .replace(new RegExp(`\\b${port}\\b`, 'g'), 'PORT');
    });
    for (const [i, text] of normalised.entries()) expect({ service: services[i], text }).toEqual({ service: services[i], text: normalised[0] });
  });
});

describe('services/training/Dockerfile.gpu', () => {
  const gpu = readDockerfile(join(repoRoot, 'services/training/Dockerfile.gpu'));
  const cpu = dockerfileOf('training');
  const runtime = finalStage(gpu);

  it('builds exactly like the CPU training image', () => {
    expect(gpu.globalArgs).toEqual(cpu.globalArgs);
    for (const name of ['build', 'deps']) expect(stageNamed(gpu, name)).toEqual(stageNamed(cpu, name));
  });

  it('runs on a CUDA 11 runtime with cuDNN 8, which libtensorflow 2.9 (tfjs-node-gpu 4.x) loads', () => {
    expect(runtime.from).toMatch(/^nvidia\/cuda:11\.\d+\.\d+-cudnn8-runtime-ubuntu\d+\.\d+$/);
  });

  it('installs the lockfile tfjs-node-gpu 4.22.0 with its native backend and forces the gpu backend', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version: string }> };
    expect(lock.packages['node_modules/@tensorflow/tfjs-node-gpu']?.version).toBe('4.22.0');
    expect(lock.packages['node_modules/@tensorflow/tfjs-node-gpu']?.version).toBe(lock.packages['node_modules/@tensorflow/tfjs']?.version);
    expect(instructions(stageNamed(gpu, 'gpu-deps'), 'RUN').join('\n')).toContain('npm rebuild @tensorflow/tfjs-node-gpu');
    expect(envOf(runtime).TRAINING_BACKEND).toBe('gpu');
    // The name libs/ml's backend selection accepts for tfjs-node-gpu.
    expect(read('libs/ml/src/tf/backend.ts')).toContain("{ choice: 'gpu', package: '@tensorflow/tfjs-node-gpu'");
  });

  it('keeps the runtime contract of the CPU image: user, port, health check, command, volumes', () => {
    const cpuRuntime = finalStage(cpu);
    for (const keyword of ['USER', 'EXPOSE', 'CMD', 'VOLUME']) expect(instructions(runtime, keyword)).toEqual(instructions(cpuRuntime, keyword));
    expect(execForm(instructions(runtime, 'HEALTHCHECK')[0]!)).toEqual(execForm(instructions(cpuRuntime, 'HEALTHCHECK')[0]!));
    const { TRAINING_BACKEND: _backend, TF_CPP_MIN_LOG_LEVEL: _tfLog, ...rest } = envOf(runtime);
    expect(rest).toEqual(envOf(cpuRuntime));
    for (const copy of copiesFrom(runtime)) expect({ ...copy, produced: producedBy(stageNamed(gpu, copy.from), copy.source, gpu) }).toMatchObject({ produced: true });
  });
});

describe('.dockerignore', () => {
  const patterns = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  it('keeps host builds, installs, local state, git and datasets out of the build context', () => {
    expect(patterns).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.local', '.nx', '.git', '/datasets', '/data']));
  });

  it('does not exclude source the build needs (dataset loaders are code)', () => {
    expect(patterns).not.toContain('**/datasets');
    expect(patterns).not.toContain('**/data');
  });
});

describe('deploy/docker/stage-runtime.mjs', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const stage = (service: string, out: string) =>
    spawnSync(process.execPath, ['-e', `import(${JSON.stringify(join(repoRoot, 'deploy/docker/stage-runtime.mjs'))}).then((m) => console.log(JSON.stringify(m.stageRuntime(${JSON.stringify(root)}, ${JSON.stringify(service)}, ${JSON.stringify(out)}))))`], {
      encoding: 'utf8',
    });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'stage-runtime-'));
    const pkg = (name: string, files?: string[]) => JSON.stringify({ name: `@storeloop/${name}`, main: 'dist/index.js', ...(files ? { files } : {}) });
    write('services/shop/package.json', pkg('shop', ['dist', 'assets']));
    write('services/shop/dist/main.js', 'require("@storeloop/api");\n');
    write('services/shop/dist/main.d.ts', 'export {};\n');
    write('services/shop/assets/index.html', '<html></html>\n');
    write('libs/api/package.json', pkg('api', ['dist']));
    write('libs/api/dist/index.js', 'const c = require("@storeloop/core");\n');
    write('libs/core/package.json', pkg('core', ['dist']));
    write('libs/core/dist/index.js', 'module.exports = {};\n');
    write('libs/core/dist/.tsbuildinfo', '{}');
    write('libs/testing/package.json', pkg('testing', ['dist']));
    write('libs/testing/dist/index.js', 'require("@storeloop/core");\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('stages the service, its "files" and the libraries its compiled code requires, transitively, and nothing else', () => {
    const out = join(root, 'out');
    const result = stage('shop', out);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(['services/shop', 'libs/api', 'libs/core']);
    expect(existsSync(join(out, 'services/shop/dist/main.js'))).toBe(true);
    expect(existsSync(join(out, 'services/shop/assets/index.html'))).toBe(true);
    expect(existsSync(join(out, 'libs/core/package.json'))).toBe(true);
    expect(existsSync(join(out, 'libs/testing'))).toBe(false);
    expect(existsSync(join(out, 'services/shop/dist/main.d.ts'))).toBe(false);
    expect(existsSync(join(out, 'libs/core/dist/.tsbuildinfo'))).toBe(false);
  });

  it('fails, naming the package, when a required library was not built', () => {
    rmSync(join(root, 'libs/core/dist'), { recursive: true });
    const result = stage('shop', join(root, 'out'));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('libs/core/dist is missing');
  });
});
