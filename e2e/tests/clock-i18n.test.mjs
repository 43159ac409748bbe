// The mobile clock's catalogues (crates/web/clock/i18n/*.js): every language has exactly the same
// keys with the same {placeholders}, every key the clock uses exists, and every key is used.
// No browser: the clock's files are read as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import en from '../../crates/web/clock/i18n/en.js';
import es from '../../crates/web/clock/i18n/es.js';

const clock = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crates', 'web', 'clock');
const catalogues = { en, es };
const areas = new Set(Object.keys(en).map((key) => key.split('.')[0]));

/** The keys the clock's code and page name: t('k') and tn('k', n) calls, data-i18n* attributes, and 'area.key' literals. */
function usedKeys() {
  const used = new Map(); // key -> where
  const add = (key, where) => used.set(key, where);
  const scripts = readdirSync(clock).filter((f) => f.endsWith('.js') && f !== 'sw.js' && f !== 'i18n.js');
  for (const file of scripts) {
    const source = readFileSync(join(clock, file), 'utf8');
    assert.doesNotMatch(source, /\btn?\(\s*`/, `${file}: a catalogue key is spelled out, never built from a template`);
    for (const [, key] of source.matchAll(/\bt\(\s*'([^']+)'/g)) add(key, file);
    // A literal naming a plural (tn(kind === 'in' ? 'a.b' : 'a.c', n)) stands for its two forms.
    for (const [, key] of source.matchAll(/'([a-z]+(?:\.[a-z_]+)+)'/g)) {
      if (!areas.has(key.split('.')[0])) continue;
      if (`${key}_one` in en) {
        add(`${key}_one`, file);
        add(`${key}_other`, file);
      } else {
        add(key, file);
      }
    }
  }
  const page = readFileSync(join(clock, 'index.html'), 'utf8');
  for (const [, key] of page.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g)) add(key, 'index.html');
  return used;
}

test('the clock page has no words of its own: its text and labels come from data-i18n', () => {
  const page = readFileSync(join(clock, 'index.html'), 'utf8');
  const body = page.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<title[^>]*>[^<]*<\/title>/, '');
  const loose = body.replace(/<[^>]*>/g, '\n').split('\n').map((s) => s.trim()).filter((s) => /[A-Za-z]/.test(s));
  assert.deepEqual(loose, [], 'text in index.html outside the catalogue');
  const attributes = [...body.matchAll(/\s(aria-label|placeholder|alt|title)="([^"]*)"/g)].map((m) => `${m[1]}="${m[2]}"`);
  assert.deepEqual(attributes, [], 'labels in index.html outside the catalogue');
});

const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every language has the same keys as English, with the same placeholders, and no empty text', () => {
  for (const [lang, catalogue] of Object.entries(catalogues)) {
    assert.deepEqual(Object.keys(catalogue).sort(), Object.keys(en).sort(), `${lang} has the keys en has`);
    for (const [key, text] of Object.entries(catalogue)) {
      assert.equal(typeof text, 'string', `${lang} ${key}`);
      assert.ok(text.trim().length > 0, `${lang} ${key} is not empty`);
      assert.deepEqual(placeholders(text), placeholders(en[key]), `${lang} ${key} has en's placeholders`);
    }
  }
});

test('every key the clock uses is in the catalogues, and every key is used', () => {
  const used = usedKeys();
  assert.ok(used.size > 100, `the clock's words are found (${used.size})`);
  for (const [key, where] of used) assert.ok(key in en, `${where} uses ${key}, which en.js does not have`);
  // error.* keys are looked up by the server's error codes (api.js errorMessage).
  const unused = Object.keys(en).filter((key) => !key.startsWith('error.') && !used.has(key));
  assert.deepEqual(unused, [], 'keys no part of the clock uses');
});

test('the Spanish catalogue is Spanish: the punch buttons and a few words a crew reads', () => {
  assert.equal(es['status.clock_in'], 'Marcar entrada');
  assert.equal(es['status.clock_out'], 'Marcar salida');
  const same = Object.keys(en).filter((key) => en[key] === es[key] && !/^(lang\.|pin\.ok$|time\.day_at$|settings\.device$|card\.total$)/.test(key));
  assert.deepEqual(same, [], 'texts left in English in es.js');
});

test('the server error codes the clock translates are the server\'s codes', () => {
  const sources = ['src/api/device.rs', 'src/error.rs', 'src/api/auth.rs', 'src/privacy.rs', 'src/api/timeoff.rs', '../app/src/timeoff.rs'].map((f) =>
    readFileSync(join(clock, '..', f), 'utf8'),
  ).join('\n');
  for (const key of Object.keys(en).filter((k) => k.startsWith('error.') && !['error.server', 'error.bad_answer'].includes(k))) {
    const code = key.split('.')[1];
    assert.ok(sources.includes(`"${code}"`), `the server answers the code ${code}`);
  }
});
