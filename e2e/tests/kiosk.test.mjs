// The kiosk (issue 28) in real Chromium on a tablet-sized page, with a fake front camera: an admin
// turns a registered tablet into a kiosk; a worker presses Clock in and is named and clocked in;
// "Not me" takes the punch back before it is sent and asks for the PIN; a face nobody enrolled gets
// the PIN screen; a print held up is never named; offline the kiosk is PIN + photo; Spanish.
// The page's clock is Playwright's: the tests move it past "Not me" instead of waiting.
/* global document */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, screenshot } from '../lib/browser.mjs';
import { violations } from '../lib/axe.mjs';
import { signedIn } from '../lib/admin.mjs';
import { ADMIN, eventually, ok, company, punches, waitPunches, visible, hidden, button, register, signIn, signInOffline, takePhoto, faceVideo } from '../lib/clock.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = (name) => join(root, 'crates', 'face', 'tests', 'fixtures', name);
export const TABLET = { viewport: { width: 800, height: 1280 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1, locale: 'en-US' };

let videos;
let liveCamera;
let printCamera;

/**
 * A video of a worker at arm's length from a tablet, as the API tests frame him (tests/api/
 * liveness.rs `photo()`): obama-1 scaled so that his face box is 160 px wide, centred in a 640x480
 * frame on a plain wall. Its passive liveness score is above the step-up line, so the kiosk names
 * him without a head turn (a still video could not turn its head).
 */
function workerVideo(path) {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0xaaa096:s=640x480:r=10', '-loop', '1', '-i', fixture('obama-1.jpg'),
    '-filter_complex', '[1]scale=609:762[face];[0][face]overlay=-8:70,format=yuv420p', '-t', '1', '-r', '10', path]);
  return path;
}

before(async () => {
  videos = mkdtempSync(join(tmpdir(), 'clockface-kiosk-'));
  // The demo's portrait filmed as it is: a photo of a photo, as a print held up to the tablet.
  const print = faceVideo(join(videos, 'print.y4m'));
  const live = workerVideo(join(videos, 'worker.y4m'));
  [liveCamera, printCamera] = await Promise.all([launch({ camera: live }), launch({ camera: print })]);
});

after(async () => {
  await Promise.all([liveCamera, printCamera].map((b) => b?.close()));
  rmSync(videos, { recursive: true, force: true });
});

/** Signs `employee`'s release and enrols them from a photo file, over the admin API. */
async function enrolled(c, employee, photo) {
  const release = await ok(c.url, `/api/v1/employees/${employee.id}/release`, c.token);
  await ok(c.url, `/api/v1/employees/${employee.id}/release`, c.token, {
    method: 'PUT',
    body: { decision: 'signed', signed_name: employee.name, release_version: release.notice.release_version },
  });
  const form = new FormData();
  form.append('photo', new Blob([readFileSync(photo)], { type: 'image/jpeg' }), 'face.jpg');
  const answer = await fetch(`${c.url}/api/v1/employees/${employee.id}/enrolment`, { method: 'POST', headers: { authorization: `Bearer ${c.token}` }, body: form });
  assert.equal(answer.status, 201, await answer.text());
}

/** A company with a FaceFront role (step-up liveness) and its policy published. */
async function kioskCompany(t) {
  const c = await company(t);
  c.role = await ok(c.url, '/api/v1/roles', c.token, { method: 'POST', body: { name: 'Site crew', abilities: { face_front: true, liveness: 'step_up' } } });
  await ok(c.url, '/api/v1/privacy/policy', c.token, { method: 'PUT', body: { jurisdiction: 'strictest', photo_days: 365 } });
  return c;
}

/** Opens the clock on a tablet (the page's clock installed), registers it, and turns it into a kiosk. */
async function openKiosk(browser, c, { locale = 'en-US' } = {}) {
  // bypassCSP: the clock allows only its own scripts; axe is injected by the test.
  const context = await browser.newContext({ ...TABLET, locale, bypassCSP: true });
  await context.clock.install();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(`${c.url}/clock`);
  return { context, page };
}

async function kioskOn(page, c) {
  const [device] = await ok(c.url, '/api/v1/devices', c.token);
  await ok(c.url, `/api/v1/devices/${device.id}/kiosk`, c.token, { method: 'PUT', body: { on: true } });
  await page.locator('#sync-button').click();
  await visible(page, '#screen-kiosk');
  await page.waitForFunction(() => document.getElementById('kiosk-video').videoWidth > 0);
}

/** A kiosk tablet (English) filming Barack Obama, who signed the release and is enrolled. */
async function obamaAtKiosk(t) {
  const c = await kioskCompany(t);
  const obama = await c.employee('Barack Obama', c.role.id, '2468');
  await enrolled(c, obama, fixture('obama-3.jpg'));
  const { context, page } = await openKiosk(liveCamera, c);
  await register(page, c, 'Site 4 tablet');
  await kioskOn(page, c);
  return { c, obama, context, page };
}

const audit = async (c) => (await ok(c.url, '/api/v1/audit', c.token)).map((e) => e.action);

test('a worker looks at the kiosk, is named and clocked in; the punch leaves once Not me is over', async (t) => {
  const c = await kioskCompany(t);
  const obama = await c.employee('Barack Obama', c.role.id, '2468');
  const biden = await c.employee('Joe Biden', c.role.id, '1357');
  await enrolled(c, obama, fixture('obama-3.jpg'));
  await enrolled(c, biden, fixture('biden-1.jpg'));
  const { context, page } = await openKiosk(liveCamera, c);
  await register(page, c, 'Site 4 tablet');

  // The admin turns the tablet into a kiosk on Manage → Devices.
  const { context: adminContext, page: admin } = await signedIn(liveCamera, c.url, ADMIN, { width: 1280, height: 900 });
  await admin.goto(`${c.url}/admin/devices`);
  await admin.getByLabel('Kiosk Site 4 tablet').selectOption({ label: 'On: identifies anyone in the company' });
  await admin.getByRole('row', { name: /Site 4 tablet/ }).getByRole('button', { name: 'Save' }).click();
  await visible(admin, '.notice', /takes its kiosk setting at its next sync/);
  await screenshot(admin, 'admin-devices-kiosk');
  await adminContext.close();
  await page.locator('#sync-button').click();
  await visible(page, '#screen-kiosk');
  await page.waitForFunction(() => document.getElementById('kiosk-video').videoWidth > 0);
  await screenshot(page, 'kiosk-home');
  assert.deepEqual(await violations(page), [], 'the kiosk screen has no WCAG 2.1 A or AA violation');

  await button(page, 'Clock in').click();
  await visible(page, '#kiosk-hello', 'Hello, Barack Obama');
  await visible(page, '#kiosk-done', /Clocked in at \d/);
  assert.ok(await button(page, 'Not me').isVisible(), 'Not me is offered');
  await screenshot(page, 'kiosk-identified');
  assert.deepEqual(await violations(page), [], 'nor the greeting');
  assert.deepEqual(await punches(c, obama.id), [], 'nothing is sent while Not me is offered');

  await page.clock.runFor(7_000);
  const [punch] = await waitPunches(c, obama.id, 1);
  assert.equal(punch.kind, 'in');
  assert.ok(punch.photo_url, 'the kiosk photo is the punch photo');
  await visible(page, '#kiosk-hint', /Sent\./);
  await hidden(page, '#kiosk-not-me');
  await page.clock.runFor(5_000);
  await visible(page, '#kiosk-buttons');
  assert.ok((await audit(c)).includes('kiosk.identified'));
  await context.close();
});

test('Not me takes the punch back unsent and asks for the PIN; the PIN punch takes a photo', async (t) => {
  const { c, obama, context, page } = await obamaAtKiosk(t);

  await button(page, 'Clock in').click();
  await visible(page, '#kiosk-hello', 'Hello, Barack Obama');
  await button(page, 'Not me').click();
  await visible(page, 'h1', 'Enter your PIN');
  await visible(page, '#message', /Nothing was recorded\. Sign in with your PIN/);
  await page.clock.runFor(10_000);
  assert.deepEqual(await punches(c, obama.id), [], 'the held punch never reached the server');
  await eventually(async () => (await audit(c)).includes('kiosk.not_me'), 'Not me in the audit log');

  await signIn(page, '2468', 'Barack Obama');
  await button(page, 'Clock In').click();
  await takePhoto(page);
  const [punch] = await waitPunches(c, obama.id, 1);
  assert.ok(punch.photo_url, 'a PIN punch at a kiosk carries a photo');
  await button(page, 'Done').click();
  await visible(page, '#screen-kiosk');
  await context.close();
});

test('a face nobody enrolled gets the PIN screen, and so does a print held up', async (t) => {
  const c = await kioskCompany(t);
  const biden = await c.employee('Joe Biden', c.role.id, '1357');
  await enrolled(c, biden, fixture('biden-1.jpg'));
  const { context, page } = await openKiosk(liveCamera, c);
  await register(page, c, 'Site 4 tablet');
  await kioskOn(page, c);
  await button(page, 'Clock in').click();
  await visible(page, '#message', 'We could not recognise you: sign in with your PIN.');
  await visible(page, 'h1', 'Enter your PIN');
  await context.close();

  // Grace Hopper is enrolled from her portrait, and the camera films that portrait: a print.
  const hopper = await c.employee('Grace Hopper', c.role.id, '8080');
  await enrolled(c, hopper, fixture('hopper-1.jpg'));
  const { context: printed, page: tablet } = await openKiosk(printCamera, c);
  await register(tablet, c, 'Site 5 tablet');
  const second = (await ok(c.url, '/api/v1/devices', c.token)).find((d) => d.name === 'Site 5 tablet');
  await ok(c.url, `/api/v1/devices/${second.id}/kiosk`, c.token, { method: 'PUT', body: { on: true } });
  await tablet.locator('#sync-button').click();
  await visible(tablet, '#screen-kiosk');
  await tablet.waitForFunction(() => document.getElementById('kiosk-video').videoWidth > 0);
  await button(tablet, 'Clock in').click();
  await visible(tablet, 'h1', 'Enter your PIN', 60_000);
  assert.match(await tablet.locator('#message').innerText(), /may not be of a live face|could not recognise/);
  assert.equal(await tablet.locator('#kiosk-hello').isVisible(), false, 'never greeted');
  assert.deepEqual(await punches(c, hopper.id), []);
  await screenshot(tablet, 'kiosk-print');
  await printed.close();
});

test('offline, the kiosk asks for the PIN and the punch carries a photo, sent when back online', async (t) => {
  const { c, obama, context, page } = await obamaAtKiosk(t);
  // He signed in once online on this tablet, so he may sign in offline.
  await button(page, 'Use my PIN instead').click();
  await signIn(page, '2468', 'Barack Obama');
  await button(page, 'Done').click();
  await visible(page, '#screen-kiosk');
  await page.waitForFunction(() => document.getElementById('kiosk-video').videoWidth > 0);

  await context.setOffline(true);
  await button(page, 'Clock in').click();
  await visible(page, '#message', /No network: sign in with your PIN/);
  await signInOffline(page, '2468', 'Barack Obama');
  await button(page, 'Clock In').click();
  await takePhoto(page);
  await visible(page, '#message', /Saved on this device/);
  await context.setOffline(false);
  const [punch] = await waitPunches(c, obama.id, 1);
  assert.ok(punch.photo_url, 'PIN + photo');
  await context.close();
});

test('in Spanish the kiosk greets and offers No soy yo', async (t) => {
  const c = await kioskCompany(t);
  const obama = await c.employee('Barack Obama', c.role.id, '2468');
  await enrolled(c, obama, fixture('obama-3.jpg'));
  const { context, page } = await openKiosk(liveCamera, c, { locale: 'es-MX' });
  await visible(page, 'h1', 'Configurar este dispositivo');
  await page.fill('#register-code', await c.code());
  await page.fill('#register-name', 'Tableta de obra');
  await page.getByRole('button', { name: 'Registrar dispositivo' }).click();
  await visible(page, '#sync-status', /Sincronizado/);
  await kioskOn(page, c);
  await visible(page, 'h1', 'Marque entrada o salida con su rostro');
  await page.getByRole('button', { name: 'Marcar entrada', exact: true }).click();
  await visible(page, '#kiosk-hello', 'Hola, Barack Obama');
  await visible(page, '#kiosk-done', /Entrada marcada a las/);
  await screenshot(page, 'kiosk-identified-es');
  await page.getByRole('button', { name: 'No soy yo', exact: true }).click();
  await visible(page, '#message', /No se registró nada/);
  await context.close();
});
