// The GGUF viewer: a GGUF file's header (GET .../gguf/{revision}/{path}) as a summary, the totals per tensor type,
// the metadata and a paged tensor table (real files have thousands of tensors; only one page is in the DOM).

import {api} from '../api.js';
import {h} from '../dom.js';
import {formatBits, formatBytes, formatInteger, formatParams} from '../format.js';
import {downloadLink, fillAsync} from './common.js';

const PAGE_SIZE = 100;
/** Metadata strings longer than this are folded (chat templates, licences). */
const LONG_TEXT = 200;

export function ggufPanel(ctx, path) {
  const body = h('div');
  const loaded = Promise.all([api.gguf(ctx.id, ctx.revision, path, {signal: ctx.signal}), ctx.details]);
  fillAsync(body, loaded, ([header, details]) => ggufView(ctx, details.private, path, header), 'Reading the GGUF header…');
  return h('section', {class: 'gguf', 'aria-labelledby': 'gguf-heading'},
    h('h2', {id: 'gguf-heading'}, 'GGUF header of ', h('code', {}, path)), body);
}

function ggufView(ctx, isPrivate, path, header) {
  const tensors = header.tensors ?? [];
  return h('div', {},
    h('p', {}, downloadLink(ctx, isPrivate, path, {label: `Download ${path.split('/').pop()}`}),
      ` (${formatBytes(header.size)})`),
    h('dl', {class: 'facts'},
      fact('Architecture', header.architecture ?? '–'),
      fact('Quant level', header.quant ?? '–'),
      fact('GGUF version', header.version),
      fact('Tensors', formatInteger(header.tensorCount)),
      fact('Parameters', formatParams(header.parameters)),
      fact('Tensor data', formatBytes(header.tensorBytes)),
      fact('Bits per weight', formatBits(header.bitsPerWeight))),
    h('h3', {}, 'Tensor types'),
    typeTable(header.types ?? {}, header.tensorBytes),
    h('h3', {}, 'Metadata'),
    metadataTable(header.metadata ?? {}),
    h('h3', {id: 'tensors-heading'}, 'Tensors'),
    tensorTable(tensors, Object.keys(header.types ?? {})));
}

function fact(term, value) {
  return h('div', {}, h('dt', {}, term), h('dd', {}, value ?? '–'));
}

function typeTable(types, totalBytes) {
  return h('div', {class: 'table-wrap'}, h('table', {class: 'types-table responsive'},
    h('caption', {class: 'sr-only'}, 'Totals per tensor type'),
    h('thead', {}, h('tr', {}, ['Type', 'Tensors', 'Parameters', 'Size', 'Share of data'].map(l => h('th', {scope: 'col'}, l)))),
    h('tbody', {}, Object.entries(types).map(([type, t]) => h('tr', {},
      h('th', {scope: 'row', 'data-label': 'Type'}, h('span', {class: 'chip'}, type)),
      h('td', {'data-label': 'Tensors', class: 'num'}, formatInteger(t.tensors)),
      h('td', {'data-label': 'Parameters', class: 'num'}, formatParams(t.parameters)),
      h('td', {'data-label': 'Size', class: 'num'}, formatBytes(t.bytes)),
      h('td', {'data-label': 'Share of data', class: 'num'}, share(t.bytes, totalBytes)))))));
}

function share(bytes, total) {
  if (!total) return '–';
  const percent = h('span', {}, `${(100 * bytes / total).toFixed(1)} %`);
  return [h('span', {class: 'bar', 'aria-hidden': 'true', style: `--share: ${(bytes / total).toFixed(4)}`}), percent];
}

function metadataTable(metadata) {
  const entries = Object.entries(metadata);
  if (!entries.length) return h('p', {class: 'empty'}, 'No metadata.');
  return h('div', {class: 'table-wrap'}, h('table', {class: 'metadata-table'},
    h('caption', {class: 'sr-only'}, 'Metadata key-value pairs'),
    h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Key'), h('th', {scope: 'col'}, 'Value'))),
    h('tbody', {}, entries.map(([key, value]) => h('tr', {},
      h('th', {scope: 'row'}, h('code', {}, key)),
      h('td', {class: 'value'}, metadataValue(value)))))));
}

/** Scalars as text, arrays as a short list, summarized arrays ({elementType, length}) as their size. */
function metadataValue(value) {
  if (Array.isArray(value)) {
    const shown = value.slice(0, 8).map(v => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ');
    return `[${shown}${value.length > 8 ? `, … ${formatInteger(value.length)} values` : ''}]`;
  }
  if (value && typeof value === 'object' && 'length' in value) {
    return h('span', {class: 'muted'}, `array of ${formatInteger(value.length)} ${value.elementType ?? ''} values`);
  }
  const text = String(value);
  if (text.length <= LONG_TEXT) return text;
  return h('details', {}, h('summary', {}, `${text.slice(0, 80)}… (${formatInteger(text.length)} characters)`),
    h('pre', {}, text));
}

/** Tensor table with a name filter, a type filter and pages of PAGE_SIZE rows. */
function tensorTable(tensors, types) {
  const filter = h('input', {type: 'search', id: 'tensor-filter', placeholder: 'e.g. double_blocks.0', autocomplete: 'off',
    spellcheck: 'false'});
  const typeSelect = h('select', {id: 'tensor-type'}, h('option', {value: ''}, 'All types'),
    types.map(t => h('option', {value: t}, t)));
  const tbody = h('tbody');
  const status = h('p', {class: 'pager-status', role: 'status'});
  const prev = h('button', {type: 'button'}, '← Previous');
  const next = h('button', {type: 'button'}, 'Next →');
  let page = 0;
  let rows = tensors;

  const render = () => {
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    const start = page * PAGE_SIZE;
    const slice = rows.slice(start, start + PAGE_SIZE);
    tbody.replaceChildren(...slice.map(t => h('tr', {},
      h('th', {scope: 'row', 'data-label': 'Name', class: 'path'}, h('code', {}, t.name)),
      h('td', {'data-label': 'Type'}, h('span', {class: 'chip'}, t.type)),
      h('td', {'data-label': 'Shape', class: 'num'}, `[${(t.shape ?? []).join(', ')}]`),
      h('td', {'data-label': 'Parameters', class: 'num'}, formatInteger(t.parameters)),
      h('td', {'data-label': 'Size', class: 'num'}, formatBytes(t.bytes)))));
    status.textContent = rows.length
      ? `Showing ${formatInteger(start + 1)}–${formatInteger(start + slice.length)} of ${formatInteger(rows.length)} tensors` +
        (rows.length === tensors.length ? '' : ` (filtered from ${formatInteger(tensors.length)})`) +
        ` · page ${page + 1} of ${pages}`
      : 'No tensor matches the filter.';
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  };
  const refilter = () => {
    const needle = filter.value.trim().toLowerCase();
    const type = typeSelect.value;
    rows = tensors.filter(t => (!needle || t.name.toLowerCase().includes(needle)) && (!type || t.type === type));
    page = 0;
    render();
  };
  // 'input' while typing; 'change' also covers programmatic clears (and autofill).
  filter.addEventListener('input', refilter);
  filter.addEventListener('change', refilter);
  typeSelect.addEventListener('change', refilter);
  prev.addEventListener('click', () => { page--; render(); });
  next.addEventListener('click', () => { page++; render(); });
  render();

  return h('div', {class: 'tensors'},
    h('div', {class: 'filters'},
      h('div', {class: 'field field-search'}, h('label', {for: 'tensor-filter'}, 'Filter by name'), filter),
      h('div', {class: 'field'}, h('label', {for: 'tensor-type'}, 'Type'), typeSelect)),
    status,
    h('div', {class: 'table-wrap'}, h('table', {class: 'tensor-table responsive', 'aria-describedby': 'tensors-heading'},
      h('thead', {}, h('tr', {}, ['Name', 'Type', 'Shape', 'Parameters', 'Size'].map(l => h('th', {scope: 'col'}, l)))),
      tbody)),
    h('nav', {class: 'pager', 'aria-label': 'Tensor pages'}, prev, next));
}
