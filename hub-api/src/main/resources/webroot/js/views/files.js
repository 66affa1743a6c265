// The files tab: every file of the revision (from the model details) with size, digest and download.

import {h} from '../dom.js';
import {formatBytes, formatInteger, shortHash} from '../format.js';
import {modelHref} from '../router.js';
import {downloadLink, fillAsync} from './common.js';

export function filesPanel(ctx) {
  const body = h('div');
  fillAsync(body, ctx.details, details => filesView(ctx, details), 'Loading files…');
  return h('section', {class: 'files', 'aria-labelledby': 'files-heading'},
    h('h2', {id: 'files-heading'}, 'Files'), body);
}

function filesView(ctx, details) {
  const files = details.files ?? [];
  if (!files.length) return h('p', {class: 'empty'}, 'This revision has no files.');
  const ggufs = new Set(details.ggufs ?? []);
  const total = files.reduce((sum, f) => sum + f.size, 0);
  return h('div', {},
    h('p', {class: 'muted'}, `${formatInteger(files.length)} ${files.length === 1 ? 'file' : 'files'}, ${formatBytes(total)}`),
    h('div', {class: 'table-wrap'}, h('table', {class: 'files-table responsive'},
      h('caption', {class: 'sr-only'}, `Files of ${ctx.id} at ${ctx.revision}`),
      h('thead', {}, h('tr', {}, ['Path', 'Size', 'SHA-256', 'Actions'].map(l => h('th', {scope: 'col'}, l)))),
      h('tbody', {}, files.map(f => fileRow(ctx, details.private, f, ggufs.has(f.path)))))));
}

function fileRow(ctx, isPrivate, file, isGguf) {
  const download = downloadLink(ctx, isPrivate, file.path);
  const viewer = isGguf
    ? h('a', {href: modelHref(ctx.id, {tab: `gguf/${encodePath(file.path)}`, revision: ctx.revision}),
      'aria-label': `View the GGUF header of ${file.path}`}, 'View header')
    : null;
  return h('tr', {},
    h('th', {scope: 'row', 'data-label': 'Path', class: 'path'}, file.path),
    h('td', {'data-label': 'Size', class: 'num'}, formatBytes(file.size)),
    h('td', {'data-label': 'SHA-256'}, h('code', {title: file.digest}, shortHash(file.digest))),
    h('td', {'data-label': 'Actions', class: 'actions wide'}, download, viewer));
}

function encodePath(path) {
  return path.split('/').map(encodeURIComponent).join('/');
}
