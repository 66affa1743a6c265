// The variants tab: every quant level of a model (GET .../quants) with size, quality, VRAM estimates, status,
// download and the CLI command, a "Produce" button on missing levels that follows the conversion live, and a
// "my GPU" selector that highlights what fits.

import {api, watchJob} from '../api.js';
import {commandBox} from '../clipboard.js';
import {h} from '../dom.js';
import {formatBits, formatBytes, formatInteger, shortHash} from '../format.js';
import {downloadLink, errorBox, fillAsync} from './common.js';
import {jobProgress} from './jobs.js';

/** The GPU memory sizes people buy, in GiB (a card sold as "8 GB" has 8 GiB), as every size here is binary. */
export const GPU_SIZES_GB = [6, 8, 10, 12, 16, 24, 48];
const GIB = 1024 ** 3;
const GPU_KEY = 'quanthub.gpu';

/**
 * How a level fits a GPU of `gb`: 'full' when the model, its text encoders and the VAE fit together, 'model' when
 * only the model fits (text encoders kept in system RAM), 'none' otherwise, null when the hub has no estimate. The
 * hub's estimates already leave room for activations (weights ≤ 70% of the memory), so they are compared with the
 * whole GPU memory.
 */
export function fitOf(variant, gb) {
  const vram = variant.vram;
  if (!vram) return null;
  const capacity = gb * GIB;
  if (vram.withTextEncodersAndVae != null && vram.withTextEncodersAndVae <= capacity) return 'full';
  if (vram.modelOnly <= capacity) return 'model';
  return 'none';
}

/**
 * The level to recommend: the largest that fits with text encoders and VAE (available ones win ties). When the hub
 * does not know the encoders of the architecture (no estimate with them), the largest that fits alone.
 */
export function recommend(variants, gb) {
  const encodersKnown = variants.some(v => v.vram?.withTextEncodersAndVae != null);
  const wanted = encodersKnown ? 'full' : 'model';
  let best = null;
  for (const v of variants) {
    if (fitOf(v, gb) !== wanted) continue;
    if (!best || v.size > best.size || (v.size === best.size && v.status !== 'missing' && best.status === 'missing')) {
      best = v;
    }
  }
  return best;
}

/** The `quanthub pull` command for a level (no level: the repository's default). */
export function pullCommand(id, revision, quant) {
  return `quanthub pull ${id}${revision && revision !== 'main' ? `@${revision}` : ''}${quant ? `:${quant}` : ''}`;
}

export function variantsPanel(ctx) {
  const body = h('div', {class: 'variants-body'});
  // Loaded again when a produced level is done, so it shows up as available with its download.
  const load = () => {
    // Conversions under way (asked for here or anywhere else) show as such; without the list, levels just look missing.
    const jobs = api.jobs({signal: ctx.signal}).catch(() => []);
    const loaded = Promise.all([api.quants(ctx.id, ctx.revision, {signal: ctx.signal}), ctx.details, jobs]);
    return fillAsync(body, loaded, ([quants, details, active]) =>
      variantsView({...ctx, reload: load}, details.private, quants, active), 'Loading quant levels…');
  };
  load();
  return h('section', {class: 'variants', 'aria-labelledby': 'variants-heading'},
    h('h2', {id: 'variants-heading'}, 'Quant variants'), body);
}

function variantsView(ctx, isPrivate, response, jobs) {
  const variants = response.quants;
  const encoders = response.textEncoders ?? [];
  const defaultLevel = response.default ?? null;
  const canProduce = Boolean(response.source);
  const converting = conversionsOf(response.source, jobs);
  const rows = variants.map(v => variantRow(ctx, isPrivate, v, v.quant === defaultLevel, canProduce,
    converting.get(v.quant), keptF16(v, variants)));
  const summary = h('p', {class: 'fit-summary', role: 'status'});

  const applyGpu = gb => {
    const recommended = gb ? recommend(variants, gb) : null;
    let full = 0;
    let modelOnly = 0;
    variants.forEach((v, i) => {
      const fit = gb ? fitOf(v, gb) : null;
      if (fit === 'full') full++;
      if (fit === 'model') modelOnly++;
      markRow(rows[i], fit, v === recommended, gb);
    });
    summary.textContent = gb ? fitSummary(gb, full, modelOnly, recommended) : 'Pick your GPU memory to see which levels fit.';
  };

  const picker = gpuPicker(gb => {
    try {
      localStorage.setItem(GPU_KEY, String(gb ?? ''));
    } catch {
      // Not remembered without storage; the choice still applies.
    }
    applyGpu(gb);
  });
  const table = h('table', {class: 'variants-table responsive'},
    h('caption', {class: 'sr-only'}, `Quant levels of ${ctx.id}`),
    h('thead', {}, h('tr', {},
      ['Quant', 'Size', 'Bits per weight', 'VRAM, model alone', 'VRAM with text encoders + VAE', 'Status',
        'Download or pull'].map(label => h('th', {scope: 'col'}, label)))),
    h('tbody', {}, rows));

  const stored = storedGpu();
  picker.select(stored);
  applyGpu(stored);
  return h('div', {},
    defaultLevel ? h('div', {class: 'pull-default'},
      h('p', {}, 'Without a level, the CLI pulls the default, ', h('strong', {}, defaultLevel), ':'),
      commandBox(pullCommand(ctx.id, ctx.revision, null))) : null,
    textEncodersList(encoders),
    picker.element,
    summary,
    h('p', {class: 'fit-legend'},
      h('span', {}, h('span', {class: 'swatch swatch-full'}), 'fits with text encoders + VAE'),
      h('span', {}, h('span', {class: 'swatch swatch-model'}), 'fits alone (encoders in system RAM)'),
      h('span', {}, h('span', {class: 'badge badge-recommended'}, 'Recommended'), 'largest level that fits with encoders')),
    h('div', {class: 'table-wrap'}, table),
    variants.some(v => keptF16(v, variants)) ? h('p', {class: 'hint f16-note'}, `† ${F16_FALLBACK}`) : null,
    h('p', {class: 'hint'}, '“≈” marks the planned size of a level not produced yet; “Produce” has the hub convert it ',
      'from the model’s safetensors source. Under the size of a level the hub converted: its error against the source ',
      'weights (relative RMSE, lower is closer) and their cosine similarity (1 is identical). ',
      'VRAM estimates keep the weights under 70% of the GPU memory, which leaves room for activations at standard ',
      'resolutions; larger images and batches need more. ',
      !encoders.length || encoders.some(e => e.size == null)
        ? 'Text encoders and VAE are counted at their usual FP16 sizes.'
        : 'Text encoders are counted at the sizes of the files this model names, the VAE at its usual size.'));
}

const ENCODER_STATUS = {
  available: 'available',
  producible: 'not produced yet (the hub makes it on request)',
  unavailable: 'not available to you',
};

/**
 * The text encoders the model uses (named in its quanthub.json, else the hub's default for its architecture, else
 * conventionally named files of the commit), each with the file it resolves to, its size and digest; nothing when
 * the model has none.
 */
const ENCODER_ORIGIN = {
  repository: 'Named by the repository’s quanthub.json.',
  default: 'This hub’s default for the architecture (the repository names none).',
  files: 'Files of this revision named as Flux users name them (clip_l*, t5*); quanthub.json can name others.',
};

export function textEncodersList(encoders) {
  if (!encoders.length) return null;
  return h('section', {class: 'text-encoders', 'aria-labelledby': 'text-encoders-heading'},
    h('h3', {id: 'text-encoders-heading'}, 'Text encoders'),
    h('p', {class: 'hint'}, ENCODER_ORIGIN[encoders[0].origin] ?? ''),
    h('ul', {}, encoders.map(e => h('li', {'data-role': e.role, 'data-status': e.status},
      h('strong', {}, e.role), ' ',
      e.status === 'available' || e.status === 'producible'
        ? h('a', {href: `#/models/${e.ref.split(/[:/]/).slice(0, 2).join('/')}`}, e.ref) : h('span', {}, e.ref),
      ` — ${ENCODER_STATUS[e.status] ?? e.status}`,
      e.size != null ? `, ${e.status === 'producible' ? '≈ ' : ''}${formatBytes(e.size)}` : '',
      e.digest ? h('code', {class: 'digest', title: e.digest}, ` ${shortHash(e.digest)}`) : null))));
}

/**
 * The queued and running conversions of the model's source, by level. A conversion's id starts with its source's
 * sha256 (docs/hub-api.md, "Jobs"), so a job asked for through another repository with the same source counts too.
 */
function conversionsOf(source, jobs) {
  const byLevel = new Map();
  if (!source) return byLevel;
  const prefix = `${source.digest.replace(/^sha256:/, '')}-`;
  for (const job of jobs) {
    if (job.kind === 'conversion' && (job.state === 'queued' || job.state === 'running') && job.id.startsWith(prefix)) {
      byLevel.set(job.quant, job);
    }
  }
  return byLevel;
}

/**
 * The Status cell: "Available" (made by the hub from the source), "Pushed" (a file of this repository, not made by
 * the hub), "Not yet produced", or where a conversion of the level stands ("Converting 42%").
 */
function statusCell(status) {
  const label = status === 'pushed'
    ? h('span', {class: 'status status-pushed', title: 'A GGUF file pushed to this repository; the hub did not make it '
        + 'from the source and does not vouch for it'}, 'Pushed')
    : h('span', {class: `status ${status === 'available' ? 'status-available' : 'status-missing'}`},
      status === 'available' ? 'Available' : 'Not yet produced');
  const update = job => {
    const text = {queued: 'Queued for conversion', running: `Converting ${Math.floor((job.progress ?? 0) * 100)}%`,
      done: 'Available', failed: 'Conversion failed'}[job.state];
    label.className = `status status-${job.state === 'done' ? 'available' : job.state === 'failed' ? 'failed' : 'converting'}`;
    label.textContent = text ?? job.state;
  };
  return {element: label, update};
}

/**
 * Why a level can weigh more bits than Q8_0: a small model's tensors too narrow for the level's blocks stay F16
 * (llama-quantize's K-quant fallback, which the converter follows byte for byte).
 */
const F16_FALLBACK = 'More bits per weight than Q8_0: this model’s tensors are too small for the level’s blocks (K-quants '
  + 'need rows a multiple of 256 wide), so they stay F16, as llama-quantize does. Full-size models are not affected.';
const FULL_PRECISION = new Set(['F32', 'F16', 'BF16']);

/** Whether a level has more bits per weight than the model's Q8_0 (see F16_FALLBACK). */
export function keptF16(v, variants) {
  const q8 = variants.find(x => x.quant === 'Q8_0')?.bitsPerWeight ?? 8.5;
  return !FULL_PRECISION.has(v.quant) && v.bitsPerWeight != null && v.bitsPerWeight > q8 + 1e-9;
}

function variantRow(ctx, isPrivate, v, isDefault, canProduce, conversion, fallsBackToF16) {
  const available = v.status === 'available' || v.status === 'pushed';
  const fitBadge = h('span', {class: 'fit-badge'});
  const status = statusCell(v.status);
  if (conversion) status.update(conversion);
  return h('tr', {'data-quant': v.quant, 'data-status': v.status},
    h('th', {scope: 'row', 'data-label': 'Quant'},
      h('span', {class: 'quant-name'}, v.quant),
      isDefault ? h('span', {class: 'badge badge-default', title: 'The level pulled when none is named'}, 'default') : null,
      fitBadge),
    h('td', {'data-label': 'Size', class: 'num', title: v.size == null ? null : `${formatInteger(v.size)} bytes`},
      v.size == null ? h('span', {class: 'muted'}, 'unknown')
      : v.sizeEstimated
        ? h('span', {class: 'estimated', title: 'Estimated: the level is not produced yet'}, `≈ ${formatBytes(v.size)}`)
        : formatBytes(v.size),
      v.quality ? qualityLine(v.quality) : null),
    h('td', {'data-label': 'Bits per weight', class: 'num'}, formatBits(v.bitsPerWeight),
      fallsBackToF16 ? h('span', {class: 'f16-fallback', title: F16_FALLBACK}, ' †') : null),
    h('td', {'data-label': 'VRAM, model alone', class: 'num'}, formatBytes(v.vram?.modelOnly)),
    h('td', {'data-label': 'VRAM with encoders + VAE', class: 'num'}, formatBytes(v.vram?.withTextEncodersAndVae)),
    h('td', {'data-label': 'Status'}, status.element),
    h('td', {'data-label': 'Get', class: 'wide'}, available && v.path
      ? h('div', {class: 'get'},
        downloadLink(ctx, isPrivate, v.path, {description: `${v.quant} (${formatBytes(v.size)})`}),
        commandBox(pullCommand(ctx.id, ctx.revision, v.quant)))
      : available ? h('span', {class: 'muted'}, '–')
      : canProduce ? produceControl(ctx, v.quant, status, conversion) : h('span', {class: 'muted'}, '–')));
}

/** "RMSE 1.23% · cos 0.99991": how far the level's weights are from the source's. */
function qualityLine(quality) {
  const rmse = `${(quality.relativeRmse * 100).toFixed(2)}%`;
  const cosine = quality.cosine.toFixed(5);
  return h('span', {class: 'quality', title: `Relative RMSE ${rmse} (||q − s|| / ||s||), cosine similarity ${cosine}, `
    + 'of the dequantized weights q against the source weights s'}, `RMSE ${rmse} · cos ${cosine}`);
}

/**
 * "Produce": asks the hub to convert a missing level (POST .../quants/{QUANT}), then shows the job's progress live,
 * here and in the Status cell; once it is done the table is loaded again, with the level available. A conversion
 * already under way (`running`) is followed the same way from the start.
 */
function produceControl(ctx, quant, status, running) {
  const cell = h('div', {class: 'produce'});
  const button = h('button', {type: 'button', class: 'produce-button', 'aria-label': `Produce ${quant}`}, 'Produce');
  const follow = async asked => {
    button.disabled = true;
    try {
      const job = await asked;
      const progress = jobProgress(job);
      const show = j => {
        progress.update(j);
        status.update(j);
      };
      cell.replaceChildren(progress.element);
      show(job);
      const last = job.state === 'done' || job.state === 'failed' ? job
        : await watchJob(job.id, show, {signal: ctx.signal});
      show(last);
      if (last.state === 'done') {
        ctx.reload();
      } else {
        button.textContent = 'Try again';
        button.disabled = false;
        cell.append(button);
      }
    } catch (error) {
      if (error?.name === 'AbortError') return;
      button.textContent = 'Try again';
      button.disabled = false;
      cell.replaceChildren(errorBox(error), button);
    }
  };
  button.addEventListener('click', () => follow(api.produce(ctx.id, ctx.revision, quant, {signal: ctx.signal})));
  cell.append(button);
  if (running) follow(Promise.resolve(running));
  return cell;
}

const FIT_TEXT = {full: 'fits', model: 'fits without encoders', none: 'too large'};

function markRow(row, fit, recommended, gb) {
  row.dataset.fit = fit ?? '';
  row.classList.toggle('recommended', recommended);
  const badge = row.querySelector('.fit-badge');
  badge.replaceChildren();
  if (recommended) badge.append(h('span', {class: 'badge badge-recommended'}, 'Recommended'));
  if (fit) badge.append(h('span', {class: `fit fit-${fit}`, title: `On a ${gb} GiB GPU`}, FIT_TEXT[fit]));
}

function fitSummary(gb, full, modelOnly, recommended) {
  const parts = [`On a ${gb} GiB GPU: ${full} ${full === 1 ? 'level fits' : 'levels fit'} with text encoders and VAE`];
  if (modelOnly) parts.push(`${modelOnly} more alone`);
  let text = parts.join(', ') + '.';
  if (recommended) {
    text += ` Recommended: ${recommended.quant}${recommended.status === 'missing' ? ' (not yet produced)' : ''}.`;
  } else if (modelOnly) {
    text += ' None fits with the encoders: keep them in system RAM, or pick a smaller model.';
  } else {
    text += ' None fits: pick a smaller model.';
  }
  return text;
}

function storedGpu() {
  try {
    const gb = Number(localStorage.getItem(GPU_KEY));
    return GPU_SIZES_GB.includes(gb) ? gb : null;
  } catch {
    return null;
  }
}

/** A radio group "My GPU memory": Any, 6 GB … 48 GB. Arrow keys move between options (native radios). */
function gpuPicker(onChange) {
  const options = [null, ...GPU_SIZES_GB].map(gb => {
    const id = `gpu-${gb ?? 'any'}`;
    const input = h('input', {type: 'radio', name: 'gpu', id, value: gb ?? '',
      onchange: () => onChange(gb)});
    return {gb, input, label: h('label', {for: id}, gb ? `${gb} GiB` : 'Any')};
  });
  const element = h('fieldset', {class: 'gpu-picker'},
    h('legend', {}, 'My GPU memory'),
    h('div', {class: 'segmented'}, options.map(o => [o.input, o.label])));
  return {
    element,
    select: gb => {
      for (const o of options) o.input.checked = o.gb === gb;
    },
  };
}
