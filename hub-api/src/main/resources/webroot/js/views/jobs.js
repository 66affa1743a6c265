// Jobs: the progress element every view uses, and the queue page ("#/jobs"): running and queued conversions and
// preview renders with live progress (each followed through its event stream), then the recently finished ones.

import {api, watchJob} from '../api.js';
import {h} from '../dom.js';
import {formatBytes} from '../format.js';
import {modelHref} from '../router.js';
import {errorBox, timeElement} from './common.js';

/** How often the queue page asks for the list again, to pick up jobs started elsewhere. */
const REFRESH_MS = 5000;
const STATE_TEXT = {queued: 'Queued', running: 'Converting', done: 'Done', failed: 'Failed'};
/** The kinds the queue shows (GET /api/jobs lists every kind), as a row names them. */
const KIND_TEXT = {conversion: 'Conversion', preview: 'Preview'};

/**
 * A job's state as a progress bar with a line of text ("Converting 42% · 5.2 MiB of 12 MiB", or what `describe(job)`
 * says); `update(job)` redraws it in place. The <progress> element is what assistive technology announces.
 */
export function jobProgress(job, {describe = jobText} = {}) {
  const bar = h('progress', {class: 'job-bar', max: '1'});
  const text = h('span', {class: 'job-text'});
  const element = h('div', {class: 'job-progress', 'data-job': job.id}, bar, text);
  const update = j => {
    element.dataset.state = j.state;
    bar.value = j.progress ?? 0;
    bar.setAttribute('aria-label', `${describe(j)}`);
    if (j.state === 'queued') bar.removeAttribute('value');  // indeterminate until it starts
    text.textContent = describe(j);
  };
  update(job);
  return {element, update};
}

function jobText(job) {
  const state = job.kind === 'preview' && job.state === 'running' ? 'Rendering' : STATE_TEXT[job.state] ?? job.state;
  if (job.state === 'failed') return `${state}: ${job.reason ?? 'no reason given'}`;
  // A preview no inference node's device fits says so ("needs 12.3 GiB; the largest inference node has 8.0 GiB").
  if (job.state === 'queued') return job.message ? `${state}: ${job.message}` : `${state}…`;
  const percent = `${Math.floor((job.progress ?? 0) * 100)}%`;
  const bytes = job.bytesTotal ? ` · ${formatBytes(job.bytesDone)} of ${formatBytes(job.bytesTotal)}` : '';
  return `${state} ${percent}${bytes}`;
}

export function queuePage(_match, _route, signal) {
  document.title = 'Queue · QuantHub';
  const active = h('div', {class: 'queue-active'});
  const finished = h('div', {class: 'queue-finished'});
  const status = h('div', {class: 'result-count', role: 'status'}, 'Loading the queue…');
  const element = h('section', {class: 'page queue'},
    h('div', {class: 'page-head'},
      h('h1', {tabindex: '-1'}, 'Queue'),
      h('p', {class: 'lede'}, 'Quant levels the converter cluster is producing and previews the inference nodes are ',
        'rendering now, and those finished in the last hour. Progress updates live.')),
    status,
    h('h2', {}, 'Running and queued'), active,
    h('h2', {}, 'Recently finished'), finished);

  const rows = new Map();  // job id → {row, progress}, for the jobs shown as active
  const load = () => api.jobs({signal}).then(all => {
    const jobs = all.filter(j => j.kind in KIND_TEXT);
    const running = jobs.filter(j => j.state === 'running' || j.state === 'queued');
    const ended = jobs.filter(j => j.state === 'done' || j.state === 'failed');
    const count = (kind, one, many) => {
      const n = running.filter(j => j.kind === kind).length;
      return `${n} ${n === 1 ? one : many}`;
    };
    status.textContent = `${count('conversion', 'conversion', 'conversions')} and ${count('preview', 'preview',
      'previews')} in progress`;
    for (const [id, shown] of rows) {
      if (!running.some(j => j.id === id)) {
        shown.row.remove();
        rows.delete(id);
      }
    }
    for (const job of running) {
      if (!rows.has(job.id)) {
        const shown = jobRow(job);
        rows.set(job.id, shown);
        follow(job.id, shown.progress);
      }
    }
    active.replaceChildren(running.length
      ? jobTable('Running and queued jobs', running.map(j => rows.get(j.id).row))
      : h('p', {class: 'empty'}, 'Nothing is being converted or rendered. Missing levels can be produced, and previews '
        + 'rendered, from a model page.'));
    finished.replaceChildren(ended.length
      ? jobTable('Recently finished jobs', ended.map(j => jobRow(j).row))
      : h('p', {class: 'muted'}, 'None in the last hour.'));
  }, error => {
    if (error?.name !== 'AbortError') status.replaceChildren(errorBox(error));
  });

  const follow = (id, progress) => {
    watchJob(id, progress.update, {signal}).catch(() => {});  // the next refresh shows where it stands
  };
  load();
  const timer = setInterval(() => {
    if (signal.aborted) clearInterval(timer);
    else load();
  }, REFRESH_MS);
  signal.addEventListener('abort', () => clearInterval(timer));
  return {element};
}

function jobTable(caption, rows) {
  return h('div', {class: 'table-wrap'}, h('table', {class: 'jobs-table responsive'},
    h('caption', {class: 'sr-only'}, caption),
    h('thead', {}, h('tr', {}, ['Model', 'Job', 'Quant', 'Progress', 'Started'].map(label => h('th', {scope: 'col'}, label)))),
    h('tbody', {}, rows)));
}

function jobRow(job) {
  const progress = jobProgress(job);
  const row = h('tr', {'data-job': job.id},
    h('th', {scope: 'row', 'data-label': 'Model'},
      job.repo ? h('a', {href: modelHref(job.repo, {revision: job.commit})}, job.repo) : h('span', {class: 'muted'}, 'unknown')),
    h('td', {'data-label': 'Job', class: `job-kind job-kind-${job.kind}`}, KIND_TEXT[job.kind] ?? job.kind),
    // A preview of the source (the reference the quants are compared with) has no level.
    h('td', {'data-label': 'Quant', class: 'quant-name'}, job.quant ?? (job.kind === 'preview' ? 'source' : '–')),
    h('td', {'data-label': 'Progress', class: 'wide'}, progress.element),
    h('td', {'data-label': 'Started'}, timeElement(job.created)));
  return {row, progress};
}
