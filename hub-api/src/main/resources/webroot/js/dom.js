// A tiny element builder. Text always goes in as text nodes (never parsed as HTML), so data from the hub cannot
// inject markup.

/**
 * h('a', {href: '#/', class: 'x', onclick: fn}, 'text', child, [more, children])
 * Attribute rules: `class`, `for`, `aria-*`, `data-*` and anything else become attributes; `on<event>` adds a
 * listener; `null`, `undefined` and `false` values are left out; `true` sets an empty attribute. Children may be
 * nodes, strings, numbers, arrays of those, or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'value' || name === 'checked' || name === 'selected') {
      el[name] = value;  // properties, so they reflect the current state, not only the default
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** A "Loading…" line that screen readers announce. */
export function loading(what = 'Loading…') {
  return h('p', {class: 'loading', role: 'status'}, what);
}

/** Text only screen readers read (for meaning that is otherwise carried by colour or position). */
export function srOnly(text) {
  return h('span', {class: 'sr-only'}, text);
}
