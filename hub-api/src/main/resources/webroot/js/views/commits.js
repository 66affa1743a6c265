// The commits tab: the revision's history, newest first (GET .../commits).

import {api} from '../api.js';
import {h} from '../dom.js';
import {shortHash} from '../format.js';
import {modelHref} from '../router.js';
import {fillAsync, timeElement} from './common.js';

export function commitsPanel(ctx) {
  const body = h('div');
  fillAsync(body, api.commits(ctx.id, ctx.revision, {signal: ctx.signal}), commits => commitList(ctx, commits),
    'Loading commits…');
  return h('section', {class: 'commits', 'aria-labelledby': 'commits-heading'},
    h('h2', {id: 'commits-heading'}, 'Commits'), body);
}

function commitList(ctx, commits) {
  if (!commits.length) return h('p', {class: 'empty'}, 'No commits yet.');
  return h('ol', {class: 'commit-list'}, commits.map(c => h('li', {class: 'commit'},
    h('p', {class: 'commit-message'}, c.message || '(no message)'),
    h('p', {class: 'commit-meta'},
      h('span', {}, c.author), ' committed ', timeElement(c.time), ' · ',
      `${c.files} ${c.files === 1 ? 'file' : 'files'}`, ' · ',
      h('code', {title: c.id}, shortHash(c.id)), ' · ',
      h('a', {href: modelHref(ctx.id, {tab: 'files', revision: c.id}), 'aria-label': `Files at commit ${shortHash(c.id)}`},
        'Browse files')))));
}
