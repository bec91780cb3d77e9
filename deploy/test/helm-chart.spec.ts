// Checks of the Helm chart (deploy/helm/storeloop) on the objects `helm template` renders:
// what a cluster would receive, with the default values and with ci/values-production.yaml.
// Helm comes from deploy/helm/ensure-helm.sh; without it every test fails with its message.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';

const repoRoot = resolve(__dirname, '../..');
const chartDir = join(repoRoot, 'deploy/helm/storeloop');
const productionValues = join(chartDir, 'ci/values-production.yaml');
const namespace = 'shop';
const release = 'sl';
const services = ['ingestion', 'features', 'training', 'inference', 'replenishment'];
// Names whose literal value would be a credential (REDIS_KEY_PREFIX is not one).
const secretLooking = /PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|ACCESS_KEY|(^|_)KEYS?$/;

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  securityContext?: SecurityContext;
  nodeSelector?: Record<string, string>;
  tolerations?: { key?: string }[];
  volumes?: { name: string; secret?: { secretName: string } }[];
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

function ensureHelm(): string {
  const result = spawnSync('bash', [join(repoRoot, 'deploy/helm/ensure-helm.sh')], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(result.stderr.trim() || `deploy/helm/ensure-helm.sh exited with ${result.status}`);
  }
  return result.stdout.trim();
}

let helm = '';

function runHelm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(helm, args, { encoding: 'utf8', cwd: repoRoot });
}

/** Renders the chart; throws with Helm's message when it refuses the values. */
function render(args: string[] = []): Manifest[] {
  const result = runHelm(['template', release, chartDir, '--namespace', namespace, ...args]);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return YAML.parseAllDocuments(result.stdout)
    .map((doc) => doc.toJSON() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

let defaultManifests: Manifest[] | undefined;
/** The chart rendered with its default values, once. */
const renderDefaults = () => (defaultManifests ??= render());

/** Helm's error when it refuses the values (empty when it renders them). */
function refusal(args: string[]): string {
  const result = runHelm(['template', release, chartDir, '--namespace', namespace, ...args]);
  return result.status === 0 ? '' : result.stderr;
}

const ofKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
const podSpec = (m: Manifest) => (m.spec as { template: { spec: PodSpec } }).template.spec;
const podLabels = (m: Manifest) => (m.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
const component = (m: Manifest) => m.metadata.labels?.['app.kubernetes.io/component'];
const isSubset = (subset: Record<string, string>, of: Record<string, string>) =>
  Object.entries(subset).every(([key, value]) => of[key] === value);
const deploymentOf = (manifests: Manifest[], name: string) => {
  const found = ofKind(manifests, 'Deployment').find((d) => component(d) === name);
  if (!found) throw new Error(`no Deployment for ${name}`);
  return found;
};
const configOf = (manifests: Manifest[], name: string) => {
  const found = ofKind(manifests, 'ConfigMap').find((c) => component(c) === name);
  if (!found?.data) throw new Error(`no ConfigMap for ${name}`);
  return found.data;
};

/** Every upper-case identifier in the runtime sources of services and libraries. */
function sourceIdentifiers(): Set<string> {
  const identifiers = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ts$/.test(entry) && !/\.(spec|int-spec)\.ts$/.test(entry)) {
        for (const match of readFileSync(path, 'utf8').matchAll(/\b[A-Z][A-Z0-9_]*[A-Z0-9]\b/g)) identifiers.add(match[0]);
      }
    }
  };
  for (const group of ['services', 'libs']) {
    for (const project of readdirSync(join(repoRoot, group))) {
      const src = join(repoRoot, group, project, 'src');
      if (statSync(src, { throwIfNoEntry: false })?.isDirectory()) walk(src);
    }
  }
  return identifiers;
}

beforeAll(() => {
  // A fresh machine may build Helm here (go install, about a minute); CI runs ensure-helm.sh first.
  helm = ensureHelm();
}, 600_000);

describe('helm lint', () => {
  it.each([
    ['default values', []],
    ['ci/values-production.yaml', ['-f', productionValues]],
  ])('passes with %s', (_label, args) => {
    const result = runHelm(['lint', '--strict', chartDir, ...args]);
    expect(result.stderr + result.stdout).toContain('0 chart(s) failed');
    expect(result.status).toBe(0);
  });
});

describe.each([
  ['default values', [] as string[]],
  ['ci/values-production.yaml', ['-f', productionValues]],
])('rendered with %s', (_label, args) => {
  let manifests: Manifest[] = [];
  beforeAll(() => {
    manifests = render(args);
  });

  it('has a Deployment, Service, ConfigMap and ServiceAccount per service', () => {
    for (const kind of ['Deployment', 'Service', 'ConfigMap', 'ServiceAccount']) {
      expect(ofKind(manifests, kind).map(component).sort()).toEqual([...services].sort());
    }
  });

  it('probes every Deployment on /health/live and /health/ready through its http port', () => {
    for (const deployment of ofKind(manifests, 'Deployment')) {
      for (const container of podSpec(deployment).containers) {
        expect(container.ports?.map((p) => p.name)).toContain('http');
        expect(container.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
        expect(container.startupProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
        expect(container.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      }
    }
  });

  it('runs every pod non-root, read-only, without capabilities, with seccomp', () => {
    const pods = [...ofKind(manifests, 'Deployment'), ...ofKind(manifests, 'Job')];
    for (const workload of pods) {
      const pod = podSpec(workload);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      for (const container of pod.containers) {
        const context = { ...pod.securityContext, ...container.securityContext };
        expect(context.runAsNonRoot).toBe(true);
        expect(context.runAsUser).toBeGreaterThan(0);
        expect(context.readOnlyRootFilesystem).toBe(true);
        expect(context.allowPrivilegeEscalation).toBe(false);
        expect(context.capabilities?.drop).toContain('ALL');
        expect(context.seccompProfile?.type).toBe('RuntimeDefault');
        expect(container.volumeMounts?.map((m) => m.mountPath)).toContain('/tmp');
      }
    }
  });

  it('sets CPU and memory requests and limits on every container', () => {
    for (const workload of [...ofKind(manifests, 'Deployment'), ...ofKind(manifests, 'Job')]) {
      for (const container of podSpec(workload).containers) {
        expect(Object.keys(container.resources?.requests ?? {})).toEqual(expect.arrayContaining(['cpu', 'memory']));
        expect(Object.keys(container.resources?.limits ?? {})).toEqual(expect.arrayContaining(['cpu', 'memory']));
      }
    }
  });

  it('selects each Deployment by labels its pods carry, and each Service selects exactly one Deployment', () => {
    const deployments = ofKind(manifests, 'Deployment');
    for (const deployment of deployments) {
      const matchLabels = (deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      expect(isSubset(matchLabels, podLabels(deployment))).toBe(true);
    }
    for (const service of ofKind(manifests, 'Service')) {
      const spec = service.spec as { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
      const selected = deployments.filter((d) => isSubset(spec.selector, podLabels(d)));
      expect(selected.map((d) => d.metadata.name)).toEqual([service.metadata.name]);
      expect(spec.ports).toEqual([expect.objectContaining({ name: 'http', targetPort: 'http' })]);
    }
  });

  it('points every HPA and PDB at a Deployment of the release', () => {
    const deployments = ofKind(manifests, 'Deployment');
    for (const hpa of ofKind(manifests, 'HorizontalPodAutoscaler')) {
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      const target = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
      expect(target.kind).toBe('Deployment');
      expect(deployments.map((d) => d.metadata.name)).toContain(target.name);
    }
    for (const pdb of ofKind(manifests, 'PodDisruptionBudget')) {
      const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      expect(deployments.filter((d) => isSubset(selector, podLabels(d)))).toHaveLength(1);
    }
  });

  it('renders no Secret and takes every secret-looking variable from a Secret reference', () => {
    expect(ofKind(manifests, 'Secret')).toHaveLength(0);
    for (const workload of [...ofKind(manifests, 'Deployment'), ...ofKind(manifests, 'Job')]) {
      for (const variable of podSpec(workload).containers.flatMap((c) => c.env ?? [])) {
        if (secretLooking.test(variable.name)) {
          expect({ name: variable.name, value: variable.value }).toEqual({ name: variable.name, value: undefined });
          expect(variable.valueFrom?.secretKeyRef?.name).toBeTruthy();
        }
      }
    }
    for (const configMap of ofKind(manifests, 'ConfigMap')) {
      expect(Object.keys(configMap.data ?? {}).filter((name) => secretLooking.test(name))).toEqual([]);
    }
  });

  it('sets only variables the services read', () => {
    const known = sourceIdentifiers();
    const names = new Set<string>();
    for (const configMap of ofKind(manifests, 'ConfigMap')) Object.keys(configMap.data ?? {}).forEach((n) => names.add(n));
    for (const workload of [...ofKind(manifests, 'Deployment'), ...ofKind(manifests, 'Job')]) {
      podSpec(workload).containers.flatMap((c) => c.env ?? []).forEach((v) => names.add(v.name));
    }
    expect([...names].filter((name) => !known.has(name))).toEqual([]);
  });

  it('feeds every Deployment its own ConfigMap', () => {
    const configMaps = ofKind(manifests, 'ConfigMap').map((c) => c.metadata.name);
    for (const deployment of ofKind(manifests, 'Deployment')) {
      const [container] = podSpec(deployment).containers;
      expect(container.envFrom?.map((e) => e.configMapRef?.name)).toEqual([deployment.metadata.name]);
      expect(configMaps).toContain(deployment.metadata.name);
      expect(configOf(manifests, component(deployment) ?? '').PORT).toBe(String(container.ports?.[0].containerPort));
    }
  });

  it('provisions the topics in a pre-install/pre-upgrade hook Job with the ingestion image', () => {
    const [job] = ofKind(manifests, 'Job');
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const spec = job.spec as { backoffLimit: number; ttlSecondsAfterFinished: number };
    expect(spec.backoffLimit).toBeGreaterThan(0);
    expect(spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    const [container] = podSpec(job).containers;
    expect(container.command).toEqual(['node', 'libs/messaging/dist/cli/provision-topics.js']);
    expect(container.workingDir).toBe('/app');
    expect(container.image).toBe(podSpec(deploymentOf(manifests, 'ingestion')).containers[0].image);
    const env = Object.fromEntries((container.env ?? []).map((v) => [v.name, v.value]));
    expect(env.KAFKA_BROKERS).toBe(configOf(manifests, 'ingestion').KAFKA_BROKERS);
    for (const name of services) expect(configOf(manifests, name).KAFKA_PROVISION_TOPICS).toBe('false');
  });
});

describe('production values', () => {
  let manifests: Manifest[] = [];
  beforeAll(() => {
    manifests = render(['-f', productionValues]);
  });

  it('autoscales and protects every service but the single trainer', () => {
    const scaled = services.filter((s) => s !== 'training');
    expect(ofKind(manifests, 'HorizontalPodAutoscaler').map(component).sort()).toEqual([...scaled].sort());
    expect(ofKind(manifests, 'PodDisruptionBudget').map(component).sort()).toEqual([...scaled].sort());
    expect((deploymentOf(manifests, 'training').spec as { replicas: number; strategy: { type: string } })).toMatchObject({
      replicas: 1,
      strategy: { type: 'Recreate' },
    });
  });

  it('trains on a GPU node with the GPU image, and only training does', () => {
    for (const deployment of ofKind(manifests, 'Deployment')) {
      const pod = podSpec(deployment);
      const [container] = pod.containers;
      const tolerationKeys = (pod.tolerations ?? []).map((t) => t.key);
      if (component(deployment) === 'training') {
        expect(container.resources?.limits?.['nvidia.com/gpu']).toBe(1);
        expect(tolerationKeys).toContain('nvidia.com/gpu');
        expect(pod.nodeSelector).toEqual({ 'node.kubernetes.io/instance-type': 'g5.xlarge' });
        expect(container.image).toBe('registry.example.com/storeloop/training-gpu:0.1.0');
        expect(configOf(manifests, 'training').TRAINING_BACKEND).toBe('gpu');
      } else {
        expect(container.resources?.limits?.['nvidia.com/gpu']).toBeUndefined();
        expect(tolerationKeys).not.toContain('nvidia.com/gpu');
      }
    }
  });

  it('reads Kafka SASL, Redis and S3 credentials from Secrets and mounts the Kafka and Redis CAs and the API keys file', () => {
    const training = podSpec(deploymentOf(manifests, 'training'));
    const refs = Object.fromEntries((training.containers[0].env ?? []).map((v) => [v.name, v.valueFrom?.secretKeyRef?.name]));
    expect(refs).toEqual({
      KAFKA_SASL_USERNAME: 'storeloop-kafka-user',
      KAFKA_SASL_PASSWORD: 'storeloop-kafka-user',
      REDIS_PASSWORD: 'storeloop-redis',
      ARTIFACT_S3_ACCESS_KEY_ID: 'storeloop-artifacts-s3',
      ARTIFACT_S3_SECRET_ACCESS_KEY: 'storeloop-artifacts-s3',
    });
    expect(configOf(manifests, 'training')).toMatchObject({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/etc/storeloop/kafka-ca/ca.crt',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      REDIS_TLS: 'true',
      REDIS_TLS_CA_FILE: '/etc/storeloop/redis-ca/ca.crt',
      ARTIFACT_STORE: 's3',
      ARTIFACT_S3_BUCKET: 'storeloop-models',
      API_KEYS_FILE: '/etc/storeloop/api-keys/api-keys.json',
    });
    expect(configOf(manifests, 'training').ARTIFACT_DIR).toBeUndefined();
    expect(training.volumes?.find((v) => v.name === 'api-keys')?.secret?.secretName).toBe('storeloop-api-keys');
    expect(training.volumes?.find((v) => v.name === 'redis-ca')?.secret?.secretName).toBe('redis-ca');
    expect(training.containers[0].volumeMounts?.find((m) => m.name === 'redis-ca')).toMatchObject({ mountPath: '/etc/storeloop/redis-ca', readOnly: true });
    // features has no authenticated endpoint and no artifacts.
    expect(configOf(manifests, 'features').API_KEYS_FILE).toBeUndefined();
    expect(configOf(manifests, 'features').ARTIFACT_STORE).toBeUndefined();
  });

  it('scrapes /metrics on every service and confines traffic with NetworkPolicies', () => {
    const [monitor] = ofKind(manifests, 'ServiceMonitor');
    expect(monitor.spec).toMatchObject({ endpoints: [expect.objectContaining({ port: 'http', path: '/metrics' })] });
    expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
    const policies = ofKind(manifests, 'NetworkPolicy');
    expect(policies.map(component).sort()).toEqual([...services].sort());
    for (const policy of policies) {
      const spec = policy.spec as { policyTypes: string[]; ingress: { ports: { port: string }[] }[] };
      expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual(['http']);
    }
  });
});

describe('chart behaviour by value', () => {
  it('renders no ServiceMonitor, NetworkPolicy, HPA or PDB by default, and keeps artifacts on one shared claim', () => {
    const manifests = renderDefaults();
    for (const kind of ['ServiceMonitor', 'NetworkPolicy', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) {
      expect(ofKind(manifests, kind)).toHaveLength(0);
    }
    expect(ofKind(manifests, 'PersistentVolumeClaim').map((c) => c.metadata.name).sort()).toEqual([
      'sl-storeloop-artifacts',
      'sl-storeloop-training-state',
    ]);
    for (const name of ['training', 'inference', 'replenishment']) {
      expect(configOf(manifests, name)).toMatchObject({ ARTIFACT_STORE: 'filesystem', ARTIFACT_DIR: '/var/lib/storeloop/artifacts' });
    }
    for (const deployment of ofKind(manifests, 'Deployment')) {
      expect(JSON.stringify(podSpec(deployment))).not.toContain('nvidia.com/gpu');
    }
  });

  it('lists every enabled service in the dashboard targets by its in-cluster Service URL', () => {
    const manifests = render(['--set', 'replenishment.enabled=false']);
    const services = ofKind(manifests, 'Service');
    const targets = configOf(manifests, 'inference').DASHBOARD_TARGETS.split(',').map((entry) => entry.split('='));
    expect(targets.map(([name]) => name)).toEqual(['ingestion', 'features', 'training', 'inference']);
    for (const [name, url] of targets) {
      const service = services.find((s) => component(s) === name);
      const port = (service?.spec as { ports: { port: number }[] }).ports[0].port;
      expect(url).toBe(`http://${service?.metadata.name}.${namespace}.svc:${port}`);
    }
  });

  it('lets a service override the shared config but never the derived port', () => {
    const manifests = render([
      '--set', 'config.LOG_LEVEL=warn',
      '--set', 'inference.env.LOG_LEVEL=debug',
      '--set', 'inference.env.PORT=9999',
      '--set', 'inference.env.INFERENCE_ONLINE_ATTRIBUTION_TTL_MS=172800000',
    ]);
    expect(configOf(manifests, 'features').LOG_LEVEL).toBe('warn');
    expect(configOf(manifests, 'inference')).toMatchObject({
      LOG_LEVEL: 'debug',
      PORT: '3004',
      INFERENCE_ONLINE_ATTRIBUTION_TTL_MS: '172800000',
    });
  });

  it('mounts a ReadWriteOnce training journal and the inference spool where their variables point', () => {
    const manifests = renderDefaults();
    const training = podSpec(deploymentOf(manifests, 'training')).containers[0];
    expect(training.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: configOf(manifests, 'training').TRAINING_STATE_DIR }));
    const inference = podSpec(deploymentOf(manifests, 'inference')).containers[0];
    expect(inference.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: configOf(manifests, 'inference').INFERENCE_SPOOL_DIR }));
  });

  it.each(services.map((name) => [name]))('runs the %s image as its USER and mounts every VOLUME it declares', (name) => {
    // The root filesystem is read-only: a writable directory the image expects but the
    // chart does not mount would fail at the first write.
    const dockerfile = readFileSync(join(repoRoot, 'services', name, 'Dockerfile'), 'utf8');
    const volumes = [...dockerfile.matchAll(/^VOLUME\s+(\[.*\])\s*$/gm)].flatMap((m) => JSON.parse(m[1]) as string[]);
    const user = /^USER\s+(\d+)/m.exec(dockerfile)?.[1];
    const pod = podSpec(deploymentOf(renderDefaults(), name));
    const mounts = pod.containers[0].volumeMounts?.map((m) => m.mountPath) ?? [];
    expect(volumes.filter((path) => !mounts.includes(path))).toEqual([]);
    expect(String(pod.securityContext?.runAsUser)).toBe(user);
  });

  it.each([
    ['a negative replica count', ['--set', 'ingestion.replicaCount=-1'], '/ingestion/replicaCount'],
    ['an unknown key', ['--set', 'inference.replicas=2'], "'replicas' not allowed"],
    ['a second trainer', ['--set', 'training.replicaCount=2'], '/training/replicaCount'],
    ['an autoscaled trainer', ['--set', 'training.autoscaling.enabled=true'], '/training/autoscaling/enabled'],
    ['an unknown pull policy', ['--set', 'features.image.pullPolicy=Sometimes'], '/features/image/pullPolicy'],
    ['a password in env', ['--set-string', 'features.env.REDIS_PASSWORD=hunter2'], 'REDIS_PASSWORD'],
    ['credentials in the Redis URL', ['--set', 'redis.url=redis://user:hunter2@redis:6379/0'], '/redis/url'],
    ['SASL without a Secret', ['--set', 'kafka.sasl.mechanism=plain'], '/kafka/sasl/existingSecret'],
    ['S3 without a bucket', ['--set', 'artifacts.store=s3'], '/artifacts/s3/bucket'],
    ['an unknown artifact store', ['--set', 'artifacts.store=ftp'], '/artifacts/store'],
  ])('refuses %s through the schema', (_label, args, where) => {
    const error = refusal(args);
    expect(error).toContain("values don't meet the specifications of the schema");
    expect(error).toContain(where);
  });
});

describe('chart README', () => {
  it('documents every value and matches values.yaml', () => {
    const result = spawnSync(process.execPath, [join(repoRoot, 'deploy/helm/values-doc.mjs'), '--check'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
