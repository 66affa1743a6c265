// The hub's REST API (docs/hub-api.md) as seen from the browser: JSON requests and job event streams with the stored
// bearer token, and errors turned into readable messages from the JSON `error` field.

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
export function getJson(path, params = {}, {signal} = {}) {
  return requestJson('GET', path, params, {signal});
}

/** POST (with a JSON `body` when given, else none: the path and query say it all) and read the JSON answer. */
export function postJson(path, params = {}, {signal, body} = {}) {
  return requestJson('POST', path, params, {signal, body});
}

async function requestJson(method, path, params, {signal, body}) {
  const response = await send(method, urlOf(path, params), 'application/json', signal, body);
  return response.json();
}

/**
 * GET a binary resource (a preview's PNG) as a Blob. Fetched rather than linked from an <img>, which cannot send
 * the bearer token a private repository needs.
 */
export async function getBlob(path, {signal} = {}) {
  const response = await send('GET', urlOf(path, {}), '*/*', signal);
  return response.blob();
}

function urlOf(path, params) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  return url;
}

/** A request with the stored token; a failure or an error status becomes an ApiError. */
async function send(method, url, accept, signal, body) {
  const headers = {Accept: accept};
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(url, {method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The hub could not be reached. Check that it is running and try again.');
  }
  if (!response.ok) throw new ApiError(response.status, await errorMessage(response));
  return response;
}

/**
 * Follows a job through its Server-Sent Events stream (GET /api/jobs/{id}/events), calling `onJob` with each state
 * the hub sends; resolves with the finished job (done or failed). The stream is read with fetch rather than
 * EventSource, which cannot send the bearer token a job of a private repository needs. A dropped stream is opened
 * again after a pause (the hub starts each stream with the job's current state).
 */
export async function watchJob(id, onJob, {signal} = {}) {
  const path = `/api/jobs/${encodeURIComponent(id)}/events`;
  for (let drops = 0; ; drops++) {
    let last = null;
    try {
      const response = await send('GET', urlOf(path, {}), 'text/event-stream', signal);
      last = await readEvents(response.body, onJob);
    } catch (e) {
      if (e.name === 'AbortError' || (e instanceof ApiError && e.status !== 0)) throw e;
    }
    if (last && (last.state === 'done' || last.state === 'failed')) return last;
    if (drops >= 5) throw new ApiError(0, 'Lost the progress stream of the job. Reload the page to see where it stands.');
    await new Promise(resolve => setTimeout(resolve, 2000));
  }
}

/** Reads `event:`/`data:` blocks until the stream ends; returns the last job seen. */
async function readEvents(body, onJob) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let last = null;
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return last;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter(line => line.startsWith('data:')).map(line => line.slice(5).trim()).join('\n');
      const event = block.split('\n').find(line => line.startsWith('event:'))?.slice(6).trim();
      if (!data) continue;  // a comment (heartbeat) or the retry interval
      const parsed = JSON.parse(data);
      if (event === 'error') throw new ApiError(404, parsed.error);
      last = parsed;
      onJob(parsed);
    }
  }
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
  produce: (id, revision, quant, options) =>
    postJson(`/api/models/${encodePath(id)}/quants/${encodeURIComponent(quant)}`, {revision}, options),
  jobs: options => getJson('/api/jobs', {}, options),
  conditioning: (id, revision, options) => getJson(`/api/models/${encodePath(id)}/conditioning`, {revision}, options),
  /** `settings`: {seed, steps, width, height, conditioning} (docs/hub-api.md, "Previews"). */
  requestPreview: (id, revision, quant, settings, {signal} = {}) =>
    postJson(`/api/models/${encodePath(id)}/quants/${encodeURIComponent(quant)}/previews`, {revision},
      {signal, body: settings}),
  preview: (previewId, options) => getJson(`/api/previews/${encodeURIComponent(previewId)}`, {}, options),
  /** what: 'image' or 'heatmap'. */
  previewPng: (previewId, what, options) => getBlob(`/api/previews/${encodeURIComponent(previewId)}/${what}`, options),
};

/** The download URL of a file (`GET /{org}/{name}/resolve/{revision}/{path}`). */
export function resolveUrl(id, revision, path) {
  return `/${encodePath(id)}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}
