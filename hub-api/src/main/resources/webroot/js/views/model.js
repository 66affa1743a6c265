// A model page ("#/models/org/name[/files|/commits|/previews|/gguf/<path>]"): the header stays while the tabs below
// change.

import {api} from '../api.js';
import {h} from '../dom.js';
import {formatParams, shortHash} from '../format.js';
import {modelHref} from '../router.js';
import {commitsPanel} from './commits.js';
import {errorBox, privateBadge, timeElement} from './common.js';
import {filesPanel} from './files.js';
import {ggufPanel} from './gguf.js';
import {previewsPanel} from './previews.js';
import {variantsPanel} from './variants.js';

/** What a route shows; routes of the same model and revision share one mounted page. */
function parse(match, route) {
  return {
    id: `${decodeURIComponent(match[1])}/${decodeURIComponent(match[2])}`,
    tab: match[3] ?? 'variants',
    file: match[4] ? match[4].split('/').map(decodeURIComponent).join('/') : null,
    revision: route.query.get('revision') || 'main',
  };
}

export function modelRouteKey(match, route) {
  const {id, revision} = parse(match, route);
  return `${id}@${revision}`;
}

const TABS = [
  {tab: 'variants', label: 'Variants'},
  {tab: 'previews', label: 'Previews'},
  {tab: 'files', label: 'Files'},
  {tab: 'commits', label: 'Commits'},
];

export function modelPage(match, route, signal) {
  const {id, revision} = parse(match, route);
  const [org, name] = id.split('/');
  document.title = `${id} · QuantHub`;

  const details = api.model(id, revision, {signal});

  const facts = h('dl', {class: 'facts'});
  const badges = h('span', {class: 'badges'});
  const tabs = h('nav', {class: 'tabs', 'aria-label': 'Model sections'});
  const panel = h('div', {class: 'panel'});
  let tab = null;  // the tab shown, for the revision picker's links
  const element = h('section', {class: 'page model'},
    h('nav', {class: 'breadcrumb', 'aria-label': 'Breadcrumb'}, h('a', {href: '#/'}, 'Models'), ' / ', org, ' / ', name),
    h('header', {class: 'model-header'},
      h('h1', {tabindex: '-1'}, h('span', {class: 'org'}, `${org}/`), name, badges),
      facts),
    tabs, panel);

  details.then(d => {
    if (d.private) badges.append(privateBadge());
    facts.replaceChildren(
      fact('Architecture', d.architecture ? h('span', {class: 'chip'}, d.architecture) : 'unknown'),
      fact('Parameters', formatParams(d.parameters)),
      fact('Revision', revisionPicker(id, revision, d, () => tab)),
      fact('Latest commit', d.sha
        ? [h('a', {href: modelHref(id, {tab: 'commits', revision}), title: d.sha}, h('code', {}, shortHash(d.sha))),
          ' ', h('span', {class: 'commit-message'}, d.message), ' · ', timeElement(d.lastModified)]
        : 'nothing committed yet'));
  }, error => {
    if (error?.name === 'AbortError') return;
    // Nothing to show for a repository that cannot be read: the error replaces header and tabs.
    element.replaceChildren(h('h1', {tabindex: '-1'}, id), errorBox(error),
      h('p', {}, h('a', {href: '#/'}, 'Back to the catalog')));
  });

  let inner = null;  // aborts the requests of the tab being left
  const update = (m, r) => {
    const state = parse(m, r);
    tab = state.tab === 'gguf' ? null : state.tab;  // another revision may not have this GGUF file
    inner?.abort();
    inner = new AbortController();
    const ctx = {id, revision, details, signal: AbortSignal.any([signal, inner.signal])};
    renderTabs(tabs, state);
    switch (state.tab) {
      case 'files': panel.replaceChildren(filesPanel(ctx)); break;
      case 'commits': panel.replaceChildren(commitsPanel(ctx)); break;
      case 'gguf': panel.replaceChildren(ggufPanel(ctx, state.file)); break;
      case 'previews': panel.replaceChildren(previewsPanel(ctx, r.query)); break;
      default: panel.replaceChildren(variantsPanel(ctx));
    }
  };
  update(match, route);
  return {element, update};
}

function renderTabs(tabs, {id, tab, file, revision}) {
  const links = TABS.map(t => tabLink(t.label, modelHref(id, {tab: t.tab === 'variants' ? null : t.tab, revision}),
    t.tab === tab));
  if (tab === 'gguf' && file) {
    links.push(tabLink(`GGUF: ${file.split('/').pop()}`, location.hash, true));
  }
  tabs.replaceChildren(h('ul', {}, links.map(link => h('li', {}, link))));
}

function tabLink(label, target, current) {
  return h('a', {href: target, class: current ? 'tab current' : 'tab', 'aria-current': current ? 'page' : null}, label);
}

function fact(term, value) {
  return h('div', {}, h('dt', {}, term), h('dd', {}, value));
}

/**
 * The revision shown, with a picker of the branches and tags when there is more than one (a commit id reached from
 * the history is listed too). Choosing one opens the same tab at that revision.
 */
function revisionPicker(id, revision, details, currentTab) {
  const refs = [...Object.keys(details.branches ?? {}), ...Object.keys(details.tags ?? {})];
  if (!refs.includes(revision)) refs.push(revision);
  if (refs.length < 2) return revision;
  const select = h('select', {class: 'revision-select', 'aria-label': 'Revision'},
    refs.map(ref => h('option', {value: ref, selected: ref === revision},
      /^[0-9a-f]{64}$/.test(ref) ? `commit ${shortHash(ref)}` : ref)));
  select.addEventListener('change', () => {
    const tab = currentTab();
    location.hash = modelHref(id, {tab: tab === 'variants' ? null : tab, revision: select.value});
  });
  return select;
}
