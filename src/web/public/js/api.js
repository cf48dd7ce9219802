// JSON API client: cookies carry the session, x-csrf-token guards every state change.
let csrf = '';
let onUnauthorized = () => {};

// Every API error answers { error: { code, message, details? } } (docs/errors.md).
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code || null;
    this.details = body?.error?.details || null;
    this.body = body;
  }
}

export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** The session ended elsewhere (the live socket was closed with 4401): back to the login page. */
export function sessionEnded() {
  onUnauthorized();
}

export function setCsrf(token) {
  csrf = token || '';
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const data = await res.json().catch(() => null);
  if (res.status === 401 && !path.startsWith('/auth/login')) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const qs = (params) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};
