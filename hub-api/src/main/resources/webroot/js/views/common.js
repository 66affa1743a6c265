// Pieces several pages use: error boxes, times, badges, async sections.

import {ApiError, resolveUrl} from '../api.js';
import {h, loading} from '../dom.js';
import {formatRelative} from '../format.js';

/** A friendly error box: the hub's own one-line message plus what the reader can do about it. */
export function errorBox(error) {
  const title = error instanceof ApiError ? titleFor(error.status) : 'Something went wrong';
  const message = error?.message || String(error);
  return h('div', {class: 'error', role: 'alert'},
    h('p', {class: 'error-title'}, title),
    h('p', {class: 'error-message'}, message),
    error instanceof ApiError && (error.status === 404 || error.status === 401 || error.status === 403)
      ? h('p', {class: 'hint'}, 'Private repositories are visible only with a token that can read them: set one under “Access token” at the top.')
      : null);
}

function titleFor(status) {
  if (status === 0) return 'The hub is unreachable';
  if (status === 404) return 'Not found';
  if (status === 401 || status === 403) return 'Not allowed';
  if (status >= 500) return 'The hub had a problem';
  return 'The request was refused';
}

/** <time> showing "3 days ago", with the exact time as a tooltip. */
export function timeElement(iso) {
  if (!iso) return '–';
  return h('time', {datetime: iso, title: new Date(iso).toLocaleString()}, formatRelative(iso));
}

/**
 * A download link for a file of the revision shown. A plain link cannot carry the bearer token, so for a private
 * repository (which answers 404 without it) the reader is sent to the CLI, which sends the stored token.
 */
export function downloadLink(ctx, isPrivate, path, {label = 'Download', description = path} = {}) {
  if (isPrivate) {
    return h('span', {class: 'muted', title: 'A browser link cannot send your token: use quanthub pull, or curl with '
      + '-H "Authorization: Bearer <token>"'}, 'Private: download with the CLI');
  }
  return h('a', {href: resolveUrl(ctx.id, ctx.revision, path), download: path.split('/').pop(),
    'aria-label': `Download ${description}`}, label);
}

export function privateBadge() {
  return h('span', {class: 'badge badge-private'}, 'Private');
}

/**
 * Fills `container` with a loading line, then with `render(value)` once `promise` resolves, or an error box.
 * Aborted requests (the reader moved on) leave the container alone.
 */
export function fillAsync(container, promise, render, what) {
  container.replaceChildren(loading(what));
  container.setAttribute('aria-busy', 'true');
  return promise.then(
    value => {
      container.replaceChildren(render(value));
    },
    error => {
      if (error?.name === 'AbortError') return;
      container.replaceChildren(errorBox(error));
    },
  ).finally(() => container.removeAttribute('aria-busy'));
}
