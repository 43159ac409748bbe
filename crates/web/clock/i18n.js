// The clock's words: one catalogue per language (i18n/en.js, i18n/es.js, the same keys in each),
// the device's language, and `t(key, params)` for every string the clock shows. The language is
// chosen in the device's Settings and kept with them; until then it follows the browser's first
// language (es-* is Spanish, anything else English). `<html lang>` follows the language.
//
// In index.html, `data-i18n="key"` sets an element's text and `data-i18n-aria-label`,
// `data-i18n-placeholder`, `data-i18n-title` and `data-i18n-alt` its attributes; `apply()` fills
// them. Plurals: `tn(key, n)` takes `key_one` when n is 1, `key_other` otherwise.

import en from './i18n/en.js';
import es from './i18n/es.js';

export const CATALOGUES = { en, es };
export const LANGUAGES = Object.keys(CATALOGUES);

let current = 'en';

/** The language a browser's preferences default to: Spanish for es-*, else English. */
export function fromBrowser(nav = navigator) {
  const first = nav.languages?.[0] ?? nav.language ?? 'en';
  return /^es(-|$)/i.test(first) ? 'es' : 'en';
}

export function language() {
  return current;
}

/** The locale dates and times are written in: the browser's own when it is of this language (es-MX), else the language. */
export function locale() {
  const preferred = [...(navigator.languages ?? []), navigator.language].filter(Boolean);
  return preferred.find((tag) => tag.toLowerCase().split('-')[0] === current) ?? current;
}

/** Switches the clock to `lang` (unknown: English) and rewrites the page's fixed words. */
export function setLanguage(lang) {
  current = LANGUAGES.includes(lang) ? lang : 'en';
  document.documentElement.lang = current;
  apply(document);
}

/** The text of `key` in the current language, with `{name}` replaced by `params.name`. */
export function t(key, params = {}) {
  const text = CATALOGUES[current][key] ?? CATALOGUES.en[key];
  if (text === undefined) {
    console.warn('no text for', key);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** `key_one` for one, `key_other` for any other count, with `{n}` the count. */
export function tn(key, n, params = {}) {
  return t(`${key}_${n === 1 ? 'one' : 'other'}`, { ...params, n });
}

const ATTRIBUTES = ['aria-label', 'placeholder', 'title', 'alt'];

/** Fills the `data-i18n*` elements under `root`. */
export function apply(root) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const name of ATTRIBUTES) {
    for (const node of root.querySelectorAll(`[data-i18n-${name}]`)) node.setAttribute(name, t(node.getAttribute(`data-i18n-${name}`)));
  }
}
