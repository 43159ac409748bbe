// What the mobile-clock browser tests share: a company made over the admin API, the clock opened
// on a phone-sized page, registering it, the PIN keypad, the camera screen, and reading punches back.
// Functions passed to page.waitForFunction run in the page, where `document` exists.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, api, apiLogin } from './server.mjs';
import { launch, screenshot } from './browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PORTRAIT = join(root, 'crates', 'clockface', 'assets', 'demo', 'hopper-1.jpg');
export const ADMIN = 'admin@acme.test';
// English unless a test says otherwise (the clock follows the browser's language; spanish.test.mjs uses es-MX).
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1, locale: 'en-US' };
export const WAIT = 20_000;

/** Writes a one-second video of the public-domain portrait for Chromium's fake front camera. */
export function faceVideo(path) {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', PORTRAIT,
    '-vf', 'scale=640:480:force_original_aspect_ratio=increase,crop=640:480,format=yuv420p', '-t', '1', '-r', '10', path]);
  return path;
}

/**
 * Chromium whose front camera films the public-domain portrait, for the tests of one file: launched
 * before them (its video made in a temporary folder) and closed after. Returns a getter for it.
 */
export function faceCameraForTests() {
  let videos;
  let browser;
  before(async () => {
    videos = mkdtempSync(join(tmpdir(), 'clockface-camera-'));
    browser = await launch({ camera: faceVideo(join(videos, 'face.y4m')) });
  });
  after(async () => {
    await browser?.close();
    if (videos) rmSync(videos, { recursive: true, force: true });
  });
  return () => browser;
}

/** Polls `probe` until it returns a truthy value, or fails after `timeout` ms. */
export async function eventually(probe, what, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function ok(url, path, token, options = {}) {
  const answer = await api(url, path, { token, ...options });
  assert.ok(answer.status < 300, `${options.method ?? 'GET'} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** A server with roles, employees with PINs, and a registration code, made over the admin API. */
export async function company(t, options = {}) {
  const server = await startServer({ email: ADMIN, ...options });
  t.after(server.stop);
  const token = await apiLogin(server.url, ADMIN);
  const role = (name, abilities) => ok(server.url, '/api/v1/roles', token, { method: 'POST', body: { name, abilities } });
  // The fake front camera films a still portrait: a photo of a photo, which the liveness check
  // rightly flags. These roles compare the face only; liveness has its own tests.
  const roles = {
    face: await role('E2E field (FaceFront)', { face_front: true, liveness: 'photo_only' }),
    plain: await role('E2E office (no photo)', { face_front: false }),
    foreman: await role('E2E foreman (Clock For)', { face_front: true, clock_for: true, liveness: 'photo_only' }),
  };
  let number = 100;
  const employee = (name, roleId, pin) =>
    ok(server.url, '/api/v1/employees', token, { method: 'POST', body: { name, number: String(number++), role_id: roleId, pin } });
  const code = async () => (await ok(server.url, '/api/v1/devices/registration-codes', token, { method: 'POST', body: {} })).code;
  return { url: server.url, token, roles, employee, code };
}

/** Every punch on an employee's time card (this week and around it). */
export async function punches(c, employeeId) {
  const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const card = await ok(c.url, `/api/v1/employees/${employeeId}/timecard?from=${day(-2)}&to=${day(2)}`, c.token);
  const found = new Map();
  const walk = (value) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      if (value.client_id && value.id) found.set(value.id, value);
      Object.values(value).forEach(walk);
    }
  };
  walk(card.time_card);
  return [...found.values()].sort((a, b) => a.occurred_at.localeCompare(b.occurred_at));
}

export const waitPunches = (c, employeeId, count) =>
  eventually(async () => {
    const list = await punches(c, employeeId);
    return list.length >= count && list;
  }, `${count} punch(es) on the time card`);

export async function openClock(browser, c) {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(`${c.url}/clock`);
  return { context, page };
}

export const visible = (page, selector, hasText) => page.locator(selector, hasText ? { hasText } : {}).first().waitFor({ state: 'visible', timeout: WAIT });
export const hidden = (page, selector) => page.locator(selector).waitFor({ state: 'hidden', timeout: WAIT });
export const button = (page, name) => page.getByRole('button', { name, exact: true });

export async function register(page, c, name = 'Site 4 phone', shot) {
  await visible(page, 'h1', 'Set up this device');
  await page.fill('#register-code', await c.code());
  await page.fill('#register-name', name);
  if (shot) await screenshot(page, shot);
  await button(page, 'Register device').click();
  await visible(page, 'h1', 'Enter your PIN');
  await visible(page, '#sync-status', /Synced today/);
}

export async function enterPin(page, pin) {
  for (const digit of pin) await page.locator(`#keypad [data-key="${digit}"]`).click();
  await page.locator('#keypad [data-key="ok"]').click();
}

export async function signIn(page, pin, name) {
  await enterPin(page, pin);
  await visible(page, '#status-name', `Hello, ${name}`);
}

/** Offline: the PIN, then the name picked (the clock cannot check the PIN; the server will). */
export async function signInOffline(page, pin, name) {
  await enterPin(page, pin);
  await visible(page, '#screen-who');
  await page.locator('#who-list').getByRole('button', { name, exact: true }).click();
  await visible(page, '#status-name', `Hello, ${name}`);
}

/** Everything the clock keeps in IndexedDB (its key-value store and its outbox), as JSON text. */
export async function storedOnDevice(page) {
  return page.evaluate(
    /* global indexedDB */
    () =>
      new Promise((resolve, reject) => {
        const opened = indexedDB.open('clockface-clock');
        opened.onerror = () => reject(opened.error);
        opened.onsuccess = () => {
          const db = opened.result;
          const tx = db.transaction(['kv', 'outbox'], 'readonly');
          const out = {};
          const kv = tx.objectStore('kv');
          const keys = kv.getAllKeys();
          const values = kv.getAll();
          const outbox = tx.objectStore('outbox').getAll();
          tx.oncomplete = () => {
            keys.result.forEach((key, i) => (out[key] = values.result[i]));
            out.outbox = outbox.result.map((item) => ({ ...item, photo: item.photo ? '(photo)' : null }));
            resolve(JSON.stringify(out, (key, value) => (value instanceof Uint8Array ? Array.from(value) : value)));
          };
        };
      }),
  );
}

/** Takes the photo on the camera screen and sends it; returns whether a warning was shown. */
export async function takePhoto(page) {
  await visible(page, '#screen-camera');
  await button(page, 'Take photo').click();
  await visible(page, '#camera-photo');
  const warned = await page.locator('#camera-warning').isVisible();
  await button(page, warned ? 'Send anyway' : 'Use photo').click();
  return warned;
}

