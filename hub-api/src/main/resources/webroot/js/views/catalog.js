// The catalog ("#/"): search and filters over GET /api/models, one card per repository.

import {api} from '../api.js';
import {h} from '../dom.js';
import {formatInteger, formatParams} from '../format.js';
import {modelHref, replaceQuery} from '../router.js';
import {errorBox, privateBadge, timeElement} from './common.js';

const SEARCH_DELAY_MS = 200;
const LIMIT = 200;

export function catalogPage(_match, route, signal) {
  document.title = 'Models · QuantHub';
  const query = route.query;

  const search = h('input', {
    id: 'catalog-search', type: 'search', name: 'search', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Search by name', value: query.get('search') ?? '',
  });
  const architecture = h('select', {id: 'filter-architecture', name: 'architecture'},
    h('option', {value: ''}, 'All architectures'));
  const quant = h('select', {id: 'filter-quant', name: 'quant'}, h('option', {value: ''}, 'Any quant'));
  const count = h('p', {class: 'result-count', role: 'status'});
  const results = h('div', {class: 'results'});

  const form = h('form', {class: 'filters', role: 'search', 'aria-label': 'Filter models', onsubmit: e => e.preventDefault()},
    h('div', {class: 'field field-search'}, h('label', {for: 'catalog-search'}, 'Search'), search),
    h('div', {class: 'field'}, h('label', {for: 'filter-architecture'}, 'Architecture'), architecture),
    h('div', {class: 'field'}, h('label', {for: 'filter-quant'}, 'Available quant'), quant));

  const element = h('section', {class: 'page catalog'},
    h('div', {class: 'page-head'},
      h('h1', {tabindex: '-1'}, 'Models'),
      h('p', {class: 'lede'}, 'Diffusion models and their GGUF quantizations. Pick one to see sizes, VRAM needs and downloads.')),
    form, count, results);

  // Filter choices come from the unfiltered list, so every option matches something.
  const facets = api.models({limit: LIMIT}, {signal}).then(all => {
    fillOptions(architecture, distinct(all.map(m => m.architecture)), query.get('architecture'));
    fillOptions(quant, distinct(all.flatMap(availableQuants)), query.get('quant'));
    return all;
  });
  facets.catch(() => {});  // the listing below reports the error

  let inner = null;  // aborts a listing still loading when the filters change again
  const refresh = () => {
    const filters = {search: search.value.trim(), architecture: architecture.value || query.get('architecture') || '',
      quant: quant.value || query.get('quant') || ''};
    replaceQuery(filters);
    inner?.abort();
    inner = new AbortController();
    const both = AbortSignal.any([signal, inner.signal]);
    results.setAttribute('aria-busy', 'true');
    if (!results.hasChildNodes()) count.textContent = 'Loading models…';
    const unfiltered = !filters.search && !filters.architecture && !filters.quant;
    (unfiltered ? facets : api.models({...filters, limit: LIMIT}, {signal: both})).then(
      models => {
        if (both.aborted) return;
        count.textContent = countText(models.length, filters);
        results.replaceChildren(models.length ? modelList(models) : emptyState(filters, clear));
      },
      error => {
        if (error?.name === 'AbortError' || both.aborted) return;
        count.textContent = '';
        results.replaceChildren(errorBox(error));
      },
    ).finally(() => results.removeAttribute('aria-busy'));
  };
  const clear = () => {
    search.value = '';
    architecture.value = '';
    quant.value = '';
    query.delete('architecture');
    query.delete('quant');
    refresh();
    search.focus();
  };

  let timer = null;
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, SEARCH_DELAY_MS);
  };
  search.addEventListener('input', later);
  search.addEventListener('change', later);
  for (const select of [architecture, quant]) {
    select.addEventListener('change', () => {
      query.delete(select.name);  // the user's choice replaces the one from the address
      refresh();
    });
  }
  refresh();
  return {element};
}

/** The quant levels a repository summary lists as available (best first). */
function availableQuants(model) {
  return model.quants ?? [];
}

function distinct(values) {
  return [...new Set(values.filter(Boolean))].sort();
}

function fillOptions(select, values, selected) {
  for (const value of values) select.append(h('option', {value}, value));
  if (selected) {
    if (!values.includes(selected)) select.append(h('option', {value: selected}, selected));
    select.value = selected;
  }
}

function countText(n, filters) {
  const models = `${formatInteger(n)} ${n === 1 ? 'model' : 'models'}`;
  return filters.search || filters.architecture || filters.quant ? `${models} match` : models;
}

function modelList(models) {
  return h('ul', {class: 'model-list'}, models.map(model => h('li', {class: 'model-card'}, modelCard(model))));
}

function modelCard(model) {
  const [org, name] = model.id.split('/');
  const quants = availableQuants(model).length;
  return h('article', {'aria-labelledby': `model-${model.id}`},
    h('h2', {class: 'model-name', id: `model-${model.id}`},
      h('a', {href: modelHref(model.id)}, h('span', {class: 'org'}, `${org}/`), name),
      model.private ? privateBadge() : null),
    h('dl', {class: 'model-meta'},
      meta('Architecture', model.architecture ? h('span', {class: 'chip'}, model.architecture) : '–'),
      meta('Parameters', formatParams(model.parameters)),
      meta('Quants', quants ? `${quants} available` : 'none yet'),
      meta('Updated', timeElement(model.lastModified))));
}

function meta(term, value) {
  return h('div', {}, h('dt', {}, term), h('dd', {}, value));
}

function emptyState(filters, clear) {
  const filtered = filters.search || filters.architecture || filters.quant;
  return h('div', {class: 'empty'},
    h('p', {}, filtered ? 'No model matches these filters.' : 'No models yet.'),
    filtered ? h('button', {type: 'button', onclick: clear}, 'Clear filters') : null);
}
