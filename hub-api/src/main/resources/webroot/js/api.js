// The hub's REST API (docs/hub-api.md) as seen from the browser: JSON GETs with the stored bearer token, and
// errors turned into readable messages from the JSON `error` field.

const TOKEN_KEY = 'quanthub.token';

export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';  // storage disabled (private mode, policies): browse public repositories only
  }
}

export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing to do: without storage the token cannot be kept.
  }
}

/** A failed API call; `status` is 0 when the hub could not be reached at all. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** GET a JSON resource. `params` with empty values are left out of the query string. */
export async function getJson(path, params = {}, {signal} = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  const headers = {Accept: 'application/json'};
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, {headers, signal});
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The hub could not be reached. Check that it is running and try again.');
  }
  if (!response.ok) throw new ApiError(response.status, await errorMessage(response));
  return response.json();
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string' && body.error) return body.error;
  } catch {
    // Not JSON (a proxy's error page): fall back to the status line.
  }
  return `The hub answered ${response.status} ${response.statusText}`.trim();
}

/** "org/name" → "org/name" with each part URL-encoded. */
function encodePath(path) {
  return path.split('/').map(encodeURIComponent).join('/');
}

export const api = {
  models: (query, options) => getJson('/api/models', query, options),
  model: (id, revision, options) => getJson(`/api/models/${encodePath(id)}`, {revision}, options),
  quants: (id, revision, options) => getJson(`/api/models/${encodePath(id)}/quants`, {revision}, options),
  commits: (id, revision, {limit = 50, ...options} = {}) =>
    getJson(`/api/models/${encodePath(id)}/commits`, {revision, limit}, options),
  gguf: (id, revision, path, options) =>
    getJson(`/api/models/${encodePath(id)}/gguf/${encodeURIComponent(revision)}/${encodePath(path)}`, {}, options),
};

/** The download URL of a file (`GET /{org}/{name}/resolve/{revision}/{path}`). */
export function resolveUrl(id, revision, path) {
  return `/${encodePath(id)}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}
