import { parsePrometheusText, type PrometheusSample } from '@storeloop/observability';

export const SERVICE_NAMES = ['ingestion', 'features', 'training', 'inference', 'replenishment'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** An answer the quickstart did not expect, with the service's own error body. */
export class PlatformRequestError extends Error {
  override readonly name = 'PlatformRequestError';

  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} answered ${status}: ${body.slice(0, 500)}`);
  }
}

/** HTTP calls to the running services with the run's API key. */
export class PlatformClient {
  constructor(
    readonly urls: Record<ServiceName, string>,
    readonly apiKey: string,
  ) {}

  async get<T>(service: ServiceName, path: string, ok: readonly number[] = [200]): Promise<{ status: number; body: T }> {
    return this.request<T>('GET', service, path, undefined, ok);
  }

  async post<T>(service: ServiceName, path: string, body?: unknown, ok: readonly number[] = [200, 202]): Promise<{ status: number; body: T }> {
    return this.request<T>('POST', service, path, body, ok);
  }

  async metrics(service: ServiceName): Promise<PrometheusSample[]> {
    const response = await fetch(`${this.urls[service]}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new PlatformRequestError(response.status, await response.text(), `GET ${service}/metrics`);
    return parsePrometheusText(await response.text());
  }

  private async request<T>(method: string, service: ServiceName, path: string, body: unknown, ok: readonly number[]): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.urls[service]}${path}`, {
      method,
      headers: { 'X-Api-Key': this.apiKey, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      // Training and policy runs answer when they are done: minutes on two cores.
      signal: AbortSignal.timeout(30 * 60_000),
    });
    const text = await response.text();
    if (!ok.includes(response.status)) throw new PlatformRequestError(response.status, text, `${method} ${service}${path}`);
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }
}
