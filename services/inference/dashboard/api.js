// Calls to /v1/admin/dashboard/* with the admin key the user typed (kept for this tab only).
const KEY_ITEM = 'storeloop.dashboard.apiKey';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** What a panel shows: the status and the platform's stable code first, so a wrong key reads as such. */
  toString() {
    return `${this.status ? `${this.status} ` : ''}${this.code}: ${this.message}`;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_ITEM) ?? '';
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_ITEM, key);
  else sessionStorage.removeItem(KEY_ITEM);
}

export async function getJson(path, params = {}) {
  const key = apiKey();
  if (!key) throw new ApiError(0, 'DASHBOARD.NO_KEY', 'enter an API key with the admin scope');
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined && value !== ''));
  const url = `/v1/admin/dashboard/${path}${query.size > 0 ? `?${query}` : ''}`;
  let response;
  try {
    response = await fetch(url, { headers: { 'X-Api-Key': key, Accept: 'application/json' } });
  } catch (error) {
    throw new ApiError(0, 'DASHBOARD.UNREACHABLE', `the inference service did not answer (${error.message})`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body.code ?? `HTTP.${response.status}`, body.message ?? response.statusText);
  return body;
}
