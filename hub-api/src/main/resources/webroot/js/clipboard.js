// Copying CLI commands: the async Clipboard API where the page may use it, else the older execCommand('copy').

import {h} from './dom.js';

export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Denied (no focus, permissions policy): try the fallback.
    }
  }
  const buffer = h('textarea', {class: 'clipboard-buffer', readonly: true, 'aria-hidden': 'true', tabindex: '-1'});
  buffer.value = text;
  document.body.append(buffer);
  buffer.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  buffer.remove();
  return copied;
}

/** A command in a code box with a Copy button; when copying fails the text is selected for Ctrl+C. */
export function commandBox(command, {label = 'Copy'} = {}) {
  const code = h('code', {class: 'command-text'}, command);
  const status = h('span', {class: 'sr-only', role: 'status'});
  const button = h('button', {type: 'button', class: 'copy-button', 'aria-label': `Copy “${command}”`}, label);
  let reset = null;
  button.addEventListener('click', async () => {
    const ok = await copyText(command);
    if (!ok) selectText(code);
    button.textContent = ok ? 'Copied' : 'Press Ctrl+C';
    status.textContent = ok ? 'Copied to the clipboard' : 'Copy failed: the command is selected, press Ctrl+C';
    clearTimeout(reset);
    reset = setTimeout(() => {
      button.textContent = label;
      status.textContent = '';
    }, 2000);
  });
  return h('div', {class: 'command'}, code, button, status);
}

function selectText(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
