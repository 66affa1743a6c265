// The previews tab ("#/models/org/name/previews?conditioning=&seed=&steps=&width=&height=&quants=Q8_0,Q2_K"):
// images of chosen quant levels rendered by the hub's inference nodes, side by side with the image of the model's
// full-precision source, each with its PSNR and SSIM against the source and a heatmap of where it differs.
//
// A preview takes a prompt when the model has its text encoders (CLIP-L and T5, as the hub resolves them: its
// quanthub.json, the admin's default, or conventionally named files), or a conditioning set: text already encoded and
// stored in the repository (conditioning/<name>.safetensors). The prompt box shows only where a prompt can be encoded;
// left empty, the conditioning set is used.

import {api, watchJob} from '../api.js';
import {h} from '../dom.js';
import {formatMillis} from '../format.js';
import {replaceQuery} from '../router.js';
import {errorBox, fillAsync} from './common.js';
import {jobProgress} from './jobs.js';

/** The API's limits (docs/hub-api.md, "Previews"): Flux packs 2x2 latent cells of 8x8 pixels, so sides are multiples of 16. */
const SIDE_MULTIPLE = 16;
const MAX_SIDE = 1024;
const MAX_STEPS = 50;
// `quanthub serve --demo` renders its previews with these settings (DemoSetup.PREVIEW; ServeDemoTest checks they agree).
const DEFAULTS = {seed: 0, steps: 4, width: 256, height: 256};
/** What the prompt box holds on a first visit: something to edit rather than an empty box. */
const EXAMPLE_PROMPT = 'a red fox in the snow, golden hour';
/** The API's longest prompt (PreviewRoutes.MAX_PROMPT_CHARS). */
const MAX_PROMPT_CHARS = 4000;
/** Levels ticked when the address names none: the best, the smallest and one between. */
const DEFAULT_PICKS = 3;

export function previewsPanel(ctx, query) {
  const body = h('div', {class: 'previews-body'});
  const loaded = Promise.all([
    api.conditioning(ctx.id, ctx.revision, {signal: ctx.signal}),
    api.quants(ctx.id, ctx.revision, {signal: ctx.signal}),
  ]);
  fillAsync(body, loaded, ([conditioning, quants]) => previewsView(ctx, query, conditioning, quants),
    'Loading preview settings…');
  return h('section', {class: 'previews', 'aria-labelledby': 'previews-heading'},
    h('h2', {id: 'previews-heading'}, 'Previews'), body);
}

/** Why this revision cannot be previewed, in words a reader can act on; null when it can. */
function unavailableReason(conditioning, quants, levels) {
  if (!conditioning.previews) {
    return 'This hub runs no cluster member, so it cannot render previews (quanthub serve runs one unless started '
      + 'with --no-cluster).';
  }
  if (!quants.source) {
    return 'Previews compare quant levels with the model’s full-precision source, and this revision has no '
      + 'safetensors model the hub can read.';
  }
  if (!conditioning.conditioning.length && !conditioning.prompts) {
    return 'This revision has neither text encoders nor a conditioning set, so a preview cannot take a prompt: name '
      + 'its CLIP-L and T5 encoders in quanthub.json (text_encoders: clip_l, t5xxl), or add text already encoded, as '
      + 'conditioning/<name>.safetensors holding the txt (T5) and y (CLIP) tensors.';
  }
  if (!conditioning.vae) {
    return 'This revision has no VAE decoder: previews need ae.safetensors (the decoder.* tensors) next to the model.';
  }
  if (!levels.length) return 'No quant level of this revision is available yet: produce one on the Variants tab.';
  return null;
}

function previewsView(ctx, query, conditioning, quants) {
  const levels = quants.quants.filter(q => q.status === 'available' || q.status === 'pushed').map(q => q.quant);
  const reason = unavailableReason(conditioning, quants, levels);
  if (reason) return h('p', {class: 'empty previews-unavailable'}, reason);

  const sourceLabel = `${quants.source.dtype ?? 'Full-precision'} source`;
  const settings = settingsFrom(query, conditioning, levels);
  const form = settingsForm(settings, conditioning, levels);
  const message = h('p', {class: 'form-error', role: 'alert'});
  const grid = h('div', {class: 'preview-grid-wrap'});
  let rendering = null;  // aborts the follow-up of the grid being replaced

  const render = chosen => {
    replaceQuery({revision: ctx.revision === 'main' ? '' : ctx.revision, prompt: chosen.prompt ?? '',
      conditioning: chosen.conditioning ?? '',
      seed: chosen.seed, steps: chosen.steps, width: chosen.width, height: chosen.height,
      quants: chosen.quants.join(',')});
    rendering?.abort();
    rendering = new AbortController();
    grid.replaceChildren(previewGrid({...ctx, signal: AbortSignal.any([ctx.signal, rendering.signal])},
      chosen, sourceLabel));
  };
  form.element.addEventListener('submit', e => {
    e.preventDefault();
    const chosen = form.read();
    message.textContent = chosen.error ?? '';
    if (!chosen.error) render(chosen);
  });

  // An address naming levels is a shared grid: show it at once (asking again for a preview joins the same job).
  if (query.get('quants')) render(settings);
  return h('div', {},
    h('p', {class: 'lede'}, `Render the same image from several quant levels and from the ${sourceLabel}, and see how `
      + 'far each drifts: PSNR in dB (higher is closer) and SSIM (1 is identical) against the source, and a heatmap '
      + 'of the differences (black is equal; the colour scale is the same for every level). Each preview is rendered '
      + 'once and kept.'),
    form.element, message, grid);
}

/**
 * The settings the address asks for, else defaults; levels not available here are dropped. A first visit to a model
 * that takes prompts gets the example prompt; an address naming a conditioning set (and no prompt) keeps it.
 */
function settingsFrom(query, conditioning, levels) {
  const sets = conditioning.conditioning;
  const number = (key, fallback) => {
    const n = Number(query.get(key));
    return query.get(key) !== null && Number.isInteger(n) ? n : fallback;
  };
  const named = (query.get('quants') ?? '').split(',').filter(q => levels.includes(q));
  const asked = query.get('prompt');
  const prompt = !conditioning.prompts ? '' : asked ? asked : query.get('conditioning') ? '' : EXAMPLE_PROMPT;
  return {
    prompt,
    conditioning: sets.includes(query.get('conditioning')) ? query.get('conditioning') : sets[0],
    seed: number('seed', DEFAULTS.seed),
    steps: number('steps', DEFAULTS.steps),
    width: number('width', DEFAULTS.width),
    height: number('height', DEFAULTS.height),
    quants: named.length ? named : spread(levels, DEFAULT_PICKS),
  };
}

/** Up to `count` levels evenly spread from the first (best) to the last (smallest). */
function spread(levels, count) {
  if (levels.length <= count) return [...levels];
  const picks = new Set();
  for (let i = 0; i < count; i++) picks.add(levels[Math.round(i * (levels.length - 1) / (count - 1))]);
  return [...picks];
}

function settingsForm(settings, available, levels) {
  const sets = available.conditioning;
  const conditioning = sets.length ? h('select', {id: 'preview-conditioning', name: 'conditioning'},
    sets.map(name => h('option', {value: name, selected: name === settings.conditioning}, name))) : null;
  const prompt = available.prompts ? h('textarea', {id: 'preview-prompt', name: 'prompt', rows: 2,
    maxlength: MAX_PROMPT_CHARS, placeholder: EXAMPLE_PROMPT}, settings.prompt) : null;
  const numberField = (name, label, value, attrs, hint) => {
    const input = h('input', {id: `preview-${name}`, name, type: 'number', inputmode: 'numeric', value: String(value),
      required: true, ...attrs});
    return {input, element: h('div', {class: 'field'}, h('label', {for: input.id}, label), input,
      hint ? h('span', {class: 'hint'}, hint) : null)};
  };
  const seed = numberField('seed', 'Seed', settings.seed, {min: 0, step: 1});
  const steps = numberField('steps', 'Steps', settings.steps, {min: 1, max: MAX_STEPS, step: 1});
  const sideHint = `multiple of ${SIDE_MULTIPLE}, at most ${MAX_SIDE}`;
  const width = numberField('width', 'Width (px)', settings.width, {min: SIDE_MULTIPLE, max: MAX_SIDE,
    step: SIDE_MULTIPLE}, sideHint);
  const height = numberField('height', 'Height (px)', settings.height, {min: SIDE_MULTIPLE, max: MAX_SIDE,
    step: SIDE_MULTIPLE}, sideHint);
  const boxes = levels.map(level => {
    const id = `preview-quant-${level}`;
    const input = h('input', {type: 'checkbox', id, name: 'quant', value: level,
      checked: settings.quants.includes(level)});
    return {level, input, element: h('span', {class: 'check'}, input, h('label', {for: id, class: 'quant-name'}, level))};
  });

  const element = h('form', {class: 'preview-form', 'aria-label': 'Preview settings', novalidate: true},
    prompt ? h('div', {class: 'field field-prompt'},
      h('label', {for: 'preview-prompt'}, 'Prompt'),
      prompt,
      h('span', {class: 'hint'}, 'Encoded on the hub by the model’s text encoders (CLIP-L and T5)'
        + (conditioning ? '; leave it empty to use the conditioning set.' : '.'))) : null,
    h('div', {class: 'preview-settings'},
      conditioning ? h('div', {class: 'field field-conditioning'},
        h('label', {for: 'preview-conditioning'}, 'Conditioning set'),
        conditioning,
        h('span', {class: 'hint'}, prompt ? 'Text encoded ahead of time (conditioning/<name>.safetensors), used when '
          + 'the prompt is empty.' : 'Text encoded ahead of time (conditioning/<name>.safetensors): this model has no '
          + 'text encoders, so its previews take no prompt.')) : null,
      seed.element, steps.element, width.element, height.element),
    h('fieldset', {class: 'preview-quants'},
      h('legend', {}, 'Quant levels to compare with the source'),
      h('div', {class: 'checks'}, boxes.map(b => b.element))),
    h('div', {class: 'button-row'}, h('button', {type: 'submit', class: 'primary render-button'}, 'Render')));

  /** The settings as entered, or {error} naming the first problem. */
  const read = () => {
    const value = input => Number(input.value);
    const text = prompt?.value.trim() ?? '';
    const chosen = {prompt: text || null, conditioning: text || !conditioning ? null : conditioning.value,
      seed: value(seed.input), steps: value(steps.input), width: value(width.input), height: value(height.input),
      quants: boxes.filter(b => b.input.checked).map(b => b.level)};
    if (!chosen.prompt && !chosen.conditioning) return {error: 'Type a prompt.'};
    if (!Number.isSafeInteger(chosen.seed) || chosen.seed < 0) return {error: 'The seed must be a whole number, 0 or more.'};
    if (!Number.isInteger(chosen.steps) || chosen.steps < 1 || chosen.steps > MAX_STEPS) {
      return {error: `Steps must be a whole number from 1 to ${MAX_STEPS}.`};
    }
    for (const [name, side] of [['Width', chosen.width], ['Height', chosen.height]]) {
      if (!Number.isInteger(side) || side < SIDE_MULTIPLE || side > MAX_SIDE || side % SIDE_MULTIPLE !== 0) {
        return {error: `${name} must be a multiple of ${SIDE_MULTIPLE} from ${SIDE_MULTIPLE} to ${MAX_SIDE} pixels.`};
      }
    }
    if (!chosen.quants.length) return {error: 'Pick at least one quant level.'};
    return chosen;
  };
  return {element, read};
}

/**
 * The grid: the source's image first, then one cell per level. Each level's preview is asked for at once; the source
 * cell follows the reference the first answer names (one reference serves every level of the same settings).
 */
function previewGrid(ctx, chosen, sourceLabel) {
  const body = {seed: chosen.seed, steps: chosen.steps, width: chosen.width, height: chosen.height,
    ...(chosen.prompt ? {prompt: chosen.prompt} : {conditioning: chosen.conditioning})};
  const source = previewCell(chosen, sourceLabel, 'source');
  const cells = chosen.quants.map(level => previewCell(chosen, level, 'quant'));
  const grid = h('div', {class: 'preview-grid', role: 'list', 'aria-label': 'Previews side by side'},
    source.element, cells.map(c => c.element));

  let referenceFollowed = false;
  chosen.quants.forEach((level, i) => {
    api.requestPreview(ctx.id, ctx.revision, level, body, {signal: ctx.signal}).then(view => {
      if (!referenceFollowed) {
        referenceFollowed = true;
        if (view.reference) source.follow(ctx, view.reference);
        else source.fail('No reference: the hub found no full-precision source to render.');
      }
      cells[i].follow(ctx, view.id, view);
    }, error => {
      if (error?.name !== 'AbortError') cells[i].fail(error);
    });
  });
  return grid;
}

/**
 * One cell of the grid: a heading, the render's progress (state and sampler step, live from the job's event stream),
 * then the image, its numbers against the source and its difference heatmap. `role` is 'source' or 'quant'.
 */
function previewCell(chosen, label, role) {
  const isSource = role === 'source';
  const progress = jobProgress({state: 'queued', progress: 0}, {describe: j => previewText(j, chosen.steps)});
  const media = h('div', {class: 'preview-media'}, progress.element);
  const numbers = h('dl', {class: 'preview-numbers'});
  const text = h('p', {class: 'preview-prompt'}, textOf(chosen));
  const element = h('figure', {class: `preview-cell preview-${role}`, role: 'listitem', 'data-role': role,
    'data-quant': isSource ? null : label, 'data-state': 'queued'},
    h('figcaption', {}, h('h3', {class: isSource ? null : 'quant-name'}, label),
      isSource ? h('span', {class: 'muted'}, 'the reference every level is compared with') : null),
    media, text, numbers);

  const setState = state => {
    element.dataset.state = state;
  };
  const fail = error => {
    setState('failed');
    media.replaceChildren(errorBox(error));
  };

  const follow = async (ctx, id, first) => {
    element.dataset.preview = id;
    try {
      const show = job => {
        setState(job.state);
        progress.update(job);
      };
      const job = first ?? await api.preview(id, {signal: ctx.signal});
      show(job);
      const last = job.state === 'done' || job.state === 'failed' ? job : await watchJob(id, show, {signal: ctx.signal});
      if (last.state === 'failed') {
        fail(new Error(`Rendering failed: ${last.reason ?? 'no reason given'}`));
        return;
      }
      const view = await api.preview(id, {signal: ctx.signal});
      const [image, heatmap] = await Promise.all([
        png(ctx, id, 'image', `${label} preview`, chosen),
        isSource ? null : png(ctx, id, 'heatmap', `Difference of ${label} from the source`, chosen),
      ]);
      media.replaceChildren(image);
      if (heatmap) media.append(h('div', {class: 'preview-heatmap'}, heatmap, h('span', {class: 'hint'}, 'Difference from the source')));
      text.replaceChildren(textOf(view));  // what the hub rendered, as it recorded it
      numbers.replaceChildren(...previewNumbers(view, isSource).filter(Boolean));
      setState('done');
    } catch (error) {
      if (error?.name !== 'AbortError') fail(error);
    }
  };
  return {element, follow, fail};
}

/** The text an image shows: its prompt in quotes, or the conditioning set it was rendered from. */
function textOf({prompt, conditioning}) {
  return prompt ? `“${prompt}”` : `conditioning set ${conditioning}`;
}

/** "Queued…", "Step 1 of 4", "Decoding", "Done": the node reports each finished sampler step, then the VAE decode. */
function previewText(job, steps) {
  if (job.state === 'queued') return 'Queued…';
  if (job.state === 'done') return 'Done';
  if (job.state === 'failed') return `Failed: ${job.reason ?? 'no reason given'}`;
  const finished = Math.min(steps, Math.round((job.progress ?? 0) * (steps + 1)));
  return finished < steps ? `Rendering · step ${finished + 1} of ${steps}` : 'Decoding';
}

/** A preview's PNG as an <img> once it has loaded (fetched with the token: the repository may be private). */
async function png(ctx, id, what, alt, chosen) {
  const blob = await api.previewPng(id, what, {signal: ctx.signal});
  const url = URL.createObjectURL(blob);
  const img = h('img', {class: `preview-${what}`, src: url, alt, width: chosen.width, height: chosen.height});
  try {
    await img.decode();
  } finally {
    URL.revokeObjectURL(url);  // the decoded image stays on screen
  }
  return img;
}

function previewNumbers(view, isSource) {
  const row = (term, value, title) => h('div', {title}, h('dt', {}, term), h('dd', {}, value));
  const t = view.timings;
  const time = t ? row('Render', formatMillis(t.totalMillis),
    `${t.stepMillis.length} steps (${t.stepMillis.map(formatMillis).join(', ')}) and the VAE decode `
      + `(${formatMillis(t.decodeMillis)})${t.loadMillis ? `, after loading the model for ${formatMillis(t.loadMillis)}` : ''}`
      + `${view.node ? ` on ${view.node}` : ''}`) : null;
  if (isSource) return [row('PSNR', '—', 'The source is the reference'), row('SSIM', '—'), time];
  return [
    row('PSNR', h('span', {class: 'psnr'}, formatPsnr(view.psnr)),
      'Peak signal-to-noise ratio of the 8-bit RGB image against the source’s: higher is closer'),
    row('SSIM', h('span', {class: 'ssim'}, formatSsim(view.ssim)),
      'Structural similarity of the luma against the source’s: 1 is identical'),
    time,
  ];
}

/** Four decimals, more when needed to tell a close level from an identical image ("0.99996", not "1.0000"). */
function formatSsim(ssim) {
  if (ssim == null) return '–';
  const n = Number(ssim);
  let digits = 4;
  while (n < 1 && n.toFixed(digits) === (1).toFixed(digits) && digits < 8) digits++;
  return n.toFixed(digits);
}

/** "31.42 dB"; the hub sends "Infinity" for an image identical to the source's. */
function formatPsnr(psnr) {
  if (psnr == null) return '–';
  const n = Number(psnr);
  return Number.isFinite(n) ? `${n.toFixed(2)} dB` : '∞ dB (identical)';
}
