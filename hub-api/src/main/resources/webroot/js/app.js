// Entry point: the token field in the top bar and the router that mounts one page into <main>.

import {getToken, setToken} from './api.js';
import {h} from './dom.js';
import {currentRoute} from './router.js';
import {catalogPage} from './views/catalog.js';
import {queuePage} from './views/jobs.js';
import {modelPage, modelRouteKey} from './views/model.js';

/**
 * Each page is a function (match, route, signal) → {element, update?}. When `key` gives the same value for the next
 * route, the mounted page's `update` is called instead of building a new page (tabs of one model keep the header).
 */
const ROUTES = [
  {pattern: /^\/$/, page: catalogPage},
  {pattern: /^\/jobs\/?$/, page: queuePage},
  {pattern: /^\/models\/([^/]+)\/([^/]+)(?:\/(files|commits|previews|gguf)(?:\/(.+))?)?\/?$/, page: modelPage, key: modelRouteKey},
];

const main = document.getElementById('main');
let mounted = null;      // {key, view}
let controller = null;   // aborts the requests of the page being replaced

function render({focus}) {
  const route = currentRoute();
  for (const def of ROUTES) {
    const match = def.pattern.exec(route.path);
    if (!match) continue;
    const key = def.key?.(match, route) ?? null;
    if (key !== null && mounted?.key === key && mounted.view.update) {
      mounted.view.update(match, route);
      return;
    }
    controller?.abort();
    controller = new AbortController();
    const view = def.page(match, route, controller.signal);
    mount(view, key, focus);
    return;
  }
  controller?.abort();
  document.title = 'Not found · QuantHub';
  mount({element: h('section', {class: 'page'},
    h('h1', {tabindex: '-1'}, 'Page not found'),
    h('p', {}, 'There is nothing at this address. ', h('a', {href: '#/'}, 'Back to the catalog')))}, null, focus);
}

function mount(view, key, focus) {
  main.replaceChildren(view.element);
  mounted = {key, view};
  if (focus) {
    window.scrollTo(0, 0);
    // Move keyboard and screen-reader focus to the new page's heading, as a full page load would.
    main.querySelector('h1')?.focus({preventScroll: true});
  }
}

function setUpTokenMenu() {
  const menu = document.getElementById('token-menu');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  const state = document.getElementById('token-state');
  const show = () => {
    const set = Boolean(getToken());
    state.textContent = set ? 'set' : 'none';
    state.classList.toggle('is-set', set);
  };
  const changed = () => {
    show();
    menu.open = false;
    mounted = null;  // everything visible may differ with other credentials
    render({focus: false});
  };
  input.value = getToken();
  form.addEventListener('submit', e => {
    e.preventDefault();
    setToken(input.value.trim());
    changed();
  });
  document.getElementById('token-clear').addEventListener('click', () => {
    input.value = '';
    setToken('');
    changed();
  });
  menu.addEventListener('keydown', e => {
    if (e.key === 'Escape' && menu.open) {
      menu.open = false;
      menu.querySelector('summary').focus();
    }
  });
  show();
}

// The skip link's "#main" would be taken for a route: focus <main> instead of following it.
document.getElementById('skip-link').addEventListener('click', e => {
  e.preventDefault();
  main.focus();
});

setUpTokenMenu();
window.addEventListener('hashchange', () => render({focus: true}));
render({focus: false});
