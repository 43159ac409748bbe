// The head turn (active liveness) on the clock in real Chromium, with a fake front camera that
// films a still portrait: a picture held up to the camera, as a buddy-puncher would. The clock
// shows a random prompt in the worker's language, takes the burst and sends it with the punch;
// the picture does not turn like a head, so the punch is stored, flagged and waits in Review, where
// the frames are shown beside the enrolled face. Online the clock says the turn was not clear (and,
// when the role says so, asks once more the other way); offline the burst waits in the outbox and
// is judged when it arrives.
/* global document */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, screenshot } from '../lib/browser.mjs';
import { signedIn } from '../lib/admin.mjs';
import { PHONE, PORTRAIT, eventually, ok, company, waitPunches, openClock, visible, button, register, signIn, signInOffline, takePhoto, faceVideo } from '../lib/clock.mjs';

let videos;
let camera;

before(async () => {
  videos = mkdtempSync(join(tmpdir(), 'clockface-camera-'));
  camera = await launch({ camera: faceVideo(join(videos, 'face.y4m')) });
});

after(async () => {
  await camera?.close();
  rmSync(videos, { recursive: true, force: true });
});

const ADMIN = 'admin@acme.test';

/**
 * A company whose role asks for a head turn (`liveness`, `retry`), and Grace with PIN 2468, her
 * release signed and her face enrolled from the portrait the camera films.
 */
async function grace(t, liveness, retry = false) {
  const c = await company(t);
  const role = await ok(c.url, '/api/v1/roles', c.token, {
    method: 'POST',
    body: { name: 'Head turn', abilities: { face_front: true, liveness, liveness_retry: retry } },
  });
  const employee = await c.employee('Grace Field', role.id, '2468');
  await ok(c.url, '/api/v1/privacy/policy', c.token, { method: 'PUT', body: { jurisdiction: 'strictest', photo_days: 365 } });
  const release = await ok(c.url, `/api/v1/employees/${employee.id}/release`, c.token);
  await ok(c.url, `/api/v1/employees/${employee.id}/release`, c.token, {
    method: 'PUT',
    body: { decision: 'signed', signed_name: 'Grace Field', release_version: release.notice.release_version },
  });
  const form = new FormData();
  form.append('photo', new Blob([readFileSync(PORTRAIT)], { type: 'image/jpeg' }), 'grace.jpg');
  const enrolled = await fetch(`${c.url}/api/v1/employees/${employee.id}/enrolment`, { method: 'POST', headers: { authorization: `Bearer ${c.token}` }, body: form });
  assert.equal(enrolled.status, 201, await enrolled.text());
  return { c, employee };
}

/** The verdict of a punch, once the server has one. */
const verdictOf = (c, punchId) =>
  eventually(async () => {
    const answer = await fetch(`${c.url}/api/v1/punches/${punchId}/verification`, { headers: { authorization: `Bearer ${c.token}` } });
    return answer.status === 200 && answer.json();
  }, 'a verdict');

test('the clock asks for a head turn, sends the burst, and a picture held up is flagged and shown in Review', async (t) => {
  const { c, employee } = await grace(t, 'active');
  const { context, page } = await openClock(camera, c);
  await register(page, c);
  await signIn(page, '2468', 'Grace Field');
  await button(page, 'Clock In').click();
  await visible(page, '#screen-camera');
  await page.waitForFunction(() => document.getElementById('camera-video').videoWidth > 0);
  await takePhoto(page);
  await visible(page, '#camera-turn-text', /Turn your head slowly to your (left|right)/);
  assert.equal(await button(page, 'Cancel').isVisible(), false, 'nothing to press while the frames are taken');
  await screenshot(page, 'clock-head-turn');
  await visible(page, '#message', /with your photo\. The head turn was not clear, so a manager will check this punch\..*Sent\./);

  const [{ id }] = await waitPunches(c, employee.id, 1);
  const punch = await ok(c.url, `/api/v1/punches/${id}`, c.token);
  const verdict = await verdictOf(c, punch.id);
  assert.equal(verdict.verdict, 'possible_spoof', JSON.stringify(verdict));
  assert.equal(verdict.active.passed, false);
  const queue = await ok(c.url, '/api/v1/review-queue', c.token);
  assert.equal(queue.length, 1);
  assert.equal(queue[0].punch.id, punch.id);
  assert.match(queue[0].punch.burst.prompt, /^(left|right)$/);
  assert.equal(queue[0].punch.burst.frames, 8);
  assert.ok(queue[0].burst_url, 'the burst is kept with the punch');
  await context.close();

  // In Review: the frames beside the photo and the enrolled face, with what was asked and measured.
  const { context: adminContext, page: admin } = await signedIn(camera, c.url, ADMIN, { width: 1280, height: 900 });
  await admin.goto(`${c.url}/admin/review`);
  const item = admin.locator('.review-item', { hasText: 'Grace Field' });
  await item.locator('.review-burst img').waitFor({ state: 'visible' });
  assert.ok(await item.locator('.review-burst img').evaluate((img) => img.complete && img.naturalWidth > 1000), 'the frames load');
  assert.match(await item.locator('.review-burst figcaption').innerText(), /Head turn: Asked to turn to their (left|right) · 8 frames · turn measured -?\d\.\d\d \(at least 0\.20\)/);
  assert.match(await item.locator('.review-verdict').innerText(), /Possible spoof|photo of a photo|did not turn/i);
  await screenshot(admin, 'review-head-turn');
  await adminContext.close();
});

test('in Spanish the prompt and the retry are Spanish, and the second prompt asks for the other way', async (t) => {
  const { c, employee } = await grace(t, 'active', true);
  const context = await camera.newContext({ ...PHONE, locale: 'es-MX' });
  const page = await context.newPage();
  await page.goto(`${c.url}/clock`);
  await visible(page, 'h1', 'Configurar este dispositivo');
  await page.fill('#register-code', await c.code());
  await page.fill('#register-name', 'Teléfono de obra');
  await page.getByRole('button', { name: 'Registrar dispositivo' }).click();
  for (const digit of '2468') await page.locator(`#keypad [data-key="${digit}"]`).click();
  await page.locator('#keypad [data-key="ok"]').click();
  await visible(page, '#status-name', 'Grace Field');
  await page.getByRole('button', { name: 'Marcar entrada', exact: true }).click();
  await visible(page, '#screen-camera');
  await page.waitForFunction(() => document.getElementById('camera-video').videoWidth > 0);
  await page.getByRole('button', { name: 'Tomar foto', exact: true }).click();
  await visible(page, '#camera-photo');
  const warned = await page.locator('#camera-warning').isVisible();
  await page.getByRole('button', { name: warned ? 'Enviar de todos modos' : 'Usar foto', exact: true }).click();
  const first = await page.locator('#camera-turn-text', { hasText: /Gire la cabeza despacio hacia su (izquierda|derecha)/ }).innerText({ timeout: 30_000 });
  const second = await page.locator('#camera-turn-text', { hasText: /No se vio bien el giro\. Otra vez: gire la cabeza despacio hacia su (izquierda|derecha)/ }).innerText({ timeout: 60_000 });
  const side = (text) => (text.includes('izquierda') ? 'left' : 'right');
  assert.notEqual(side(second), side(first), 'the second prompt asks for the other way');
  await screenshot(page, 'clock-head-turn-es');
  await visible(page, '#message', /No se vio bien el giro de cabeza, así que un responsable revisará esta marcación\./);
  const [{ id }] = await waitPunches(c, employee.id, 1);
  const punch = await ok(c.url, `/api/v1/punches/${id}`, c.token);
  assert.equal(punch.burst.prompt, side(second), 'the punch carries the second burst and its prompt');
  assert.equal((await verdictOf(c, punch.id)).verdict, 'possible_spoof');
  await context.close();
});

test('offline, a role with the step-up asks for the head turn anyway and the burst is judged when it arrives', async (t) => {
  const { c, employee } = await grace(t, 'step_up');
  const { context, page } = await openClock(camera, c);
  await register(page, c);
  await signIn(page, '2468', 'Grace Field');
  await button(page, 'Done').click();
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await context.setOffline(true);
  await visible(page, '#network', 'Offline');
  await signInOffline(page, '2468', 'Grace Field');
  await button(page, 'Clock In').click();
  await takePhoto(page);
  await visible(page, '#camera-turn-text', /Turn your head slowly to your (left|right)/);
  await visible(page, '#message', /Saved on this device/);
  assert.equal((await ok(c.url, '/api/v1/review-queue', c.token)).length, 0, 'nothing arrived while offline');

  await context.setOffline(false);
  const [{ id }] = await waitPunches(c, employee.id, 1);
  const punch = await ok(c.url, `/api/v1/punches/${id}`, c.token);
  assert.ok(punch.burst, 'the burst went with the punch');
  const verdict = await verdictOf(c, punch.id);
  assert.equal(verdict.verdict, 'possible_spoof', JSON.stringify(verdict));
  assert.equal(verdict.active.passed, false);
  await context.close();
});
