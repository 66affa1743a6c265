// Hash routing: "#/path?query". Needs no server support (the hub serves only index.html at "/") and keeps working
// links for every page: "#/", "#/models/org/name", "#/models/org/name/files?revision=v1".

/** The current route: `path` ("/models/org/name") and `query` (URLSearchParams). */
export function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const q = hash.indexOf('?');
  const path = q < 0 ? hash : hash.slice(0, q);
  return {path: path.startsWith('/') ? path : `/${path}`, query: new URLSearchParams(q < 0 ? '' : hash.slice(q + 1))};
}

/** A link target for `path` with the non-empty entries of `query`. */
export function href(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, value);
  }
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

/** Changes the query of the current address without a navigation (no new history entry, no re-render). */
export function replaceQuery(query) {
  history.replaceState(history.state, '', href(currentRoute().path, query));
}

/** The link of a model page (tab: 'files', 'commits', 'gguf/<path>', or none for the variants). */
export function modelHref(id, {tab, revision} = {}) {
  const path = `/models/${id.split('/').map(encodeURIComponent).join('/')}${tab ? `/${tab}` : ''}`;
  return href(path, {revision: revision && revision !== 'main' ? revision : ''});
}
