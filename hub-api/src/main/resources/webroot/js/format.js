// Number, size and date formatting shared by the views.

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB"; sizes are binary, like GPU memory, so they compare directly with the GPU selector. */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined || Number.isNaN(Number(bytes))) return '–';
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${BINARY_UNITS[unit]}`;
}

/** Parameter counts the way model cards write them: 11.9B, 335M, 12.3K. */
export function formatParams(count) {
  if (count === null || count === undefined) return '–';
  const n = Number(count);
  for (const [scale, suffix] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']]) {
    if (n >= scale) {
      const v = n / scale;
      return `${Number(v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0))}${suffix}`;  // Number() drops trailing zeros
    }
  }
  return String(n);
}

const integer = new Intl.NumberFormat('en');
export function formatInteger(n) {
  return n === null || n === undefined ? '–' : integer.format(n);
}

const relative = new Intl.RelativeTimeFormat('en', {numeric: 'auto'});
const STEPS = [[60, 'second'], [60, 'minute'], [24, 'hour'], [30, 'day'], [12, 'month'], [Infinity, 'year']];

/** "3 days ago" (the exact time goes in a title attribute, see `timeElement`). */
export function formatRelative(iso, now = Date.now()) {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return '–';
  let delta = (time - now) / 1000;
  for (const [size, unit] of STEPS) {
    if (Math.abs(delta) < size) return relative.format(Math.round(delta), unit);
    delta /= size;
  }
  return iso;
}

/** First characters of a sha256 digest or commit id ("sha256:ab12…" or "ab12…"). */
export function shortHash(hash, length = 12) {
  if (!hash) return '–';
  return String(hash).replace(/^sha256:/, '').slice(0, length);
}

/** Wall times: "850 ms", "1.25 s", "12.5 s". */
export function formatMillis(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

/** Bits per weight with two decimals ("4.50"). */
export function formatBits(bpw) {
  return bpw === null || bpw === undefined ? '–' : Number(bpw).toFixed(2);
}
