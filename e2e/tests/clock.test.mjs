// The mobile clock in real Chromium: registration, PIN sign-in, FaceFront photos from a fake front
// camera showing a real face, Clock For, offline punching through a reload, a FaceFront change
// made while the device was offline, and PIN lockout. Each test starts its own server.
// Functions passed to page.waitForFunction run in the page, where `document` exists.
/* global document, getComputedStyle */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, screenshot } from '../lib/browser.mjs';
import {
  PHONE, eventually, ok, company, punches, waitPunches, openClock, visible, hidden, button, register, enterPin, signIn, signInOffline,
  storedOnDevice, takePhoto, faceVideo,
} from '../lib/clock.mjs';

let videos;
let faceCamera;
let darkCamera;
let noCamera;

before(async () => {
  videos = mkdtempSync(join(tmpdir(), 'clockface-camera-'));
  const face = faceVideo(join(videos, 'face.y4m'));
  const dark = join(videos, 'dark.y4m');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0x101010:s=640x480:r=10', '-t', '1', '-pix_fmt', 'yuv420p', dark]);
  [faceCamera, darkCamera, noCamera] = await Promise.all([launch({ camera: face }), launch({ camera: dark }), launch()]);
});

after(async () => {
  await Promise.all([faceCamera, darkCamera, noCamera].map((b) => b?.close()));
  rmSync(videos, { recursive: true, force: true });
});

// ------------------------------------------------------------------ tests

test('the app is served with its manifest, icons and a service worker scoped to /clock/', async (t) => {
  const c = await company(t);
  const redirect = await fetch(`${c.url}/clock`, { redirect: 'manual' });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get('location'), '/clock/');
  const page = await fetch(`${c.url}/clock/`);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.match(page.headers.get('content-security-policy'), /default-src 'self'/);
  const sw = await fetch(`${c.url}/clock/sw.js`);
  assert.match(sw.headers.get('content-type'), /^text\/javascript/);
  assert.equal(sw.headers.get('service-worker-allowed'), '/clock/');
  assert.equal(sw.headers.get('cache-control'), 'no-cache');
  const etag = sw.headers.get('etag');
  assert.equal((await fetch(`${c.url}/clock/sw.js`, { headers: { 'if-none-match': etag } })).status, 304);
  const manifest = await (await fetch(`${c.url}/clock/manifest.webmanifest`)).json();
  assert.equal(manifest.start_url, '/clock/');
  for (const icon of manifest.icons) {
    const answer = await fetch(`${c.url}/clock/${icon.src}`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('content-type'), icon.type);
  }
  assert.equal((await fetch(`${c.url}/clock/nope.js`)).status, 404);

  const { context, page: tab } = await openClock(noCamera, c);
  const scope = await tab.evaluate(() => navigator.serviceWorker.ready.then((r) => r.scope));
  assert.equal(scope, `${c.url}/clock/`);
  await context.close();
});

test('register, sign in by PIN and clock in with a FaceFront photo that is stored with the punch', async (t) => {
  const c = await company(t);
  const ann = await c.employee('Ann Field', c.roles.face.id, '2468');
  const { context, page } = await openClock(faceCamera, c);
  await register(page, c, 'Site 4 phone', 'clock-register');
  await screenshot(page, 'clock-pin');
  const devices = await ok(c.url, '/api/v1/devices', c.token);
  assert.equal(devices.length, 1);
  assert.equal(devices[0].has_front_camera, true, 'the device reported its front camera');

  await signIn(page, '2468', 'Ann Field');
  await visible(page, '#status-line', 'Clocked out');
  await screenshot(page, 'clock-status');
  await button(page, 'Clock In').click();
  await visible(page, '#screen-camera');
  await page.waitForFunction(() => document.getElementById('camera-video').videoWidth > 0);
  await screenshot(page, 'clock-camera');
  await button(page, 'Take photo').click();
  await visible(page, '#camera-photo');
  assert.equal(await page.locator('#camera-warning').isVisible(), false, 'the real face passes the capture checks');
  await screenshot(page, 'clock-photo');
  await button(page, 'Use photo').click();
  await visible(page, '#message', /Clocked in at .* with your photo\. Sent\./);
  await visible(page, '#status-line', 'Clocked in since today');
  await screenshot(page, 'clock-clocked-in');

  const [punch] = await waitPunches(c, ann.id, 1);
  assert.equal(punch.kind, 'in');
  assert.ok(punch.photo_url, 'the punch has a photo');
  assert.equal(punch.no_photo_reason, null);
  const photo = await fetch(c.url + punch.photo_url, { headers: { authorization: `Bearer ${c.token}` } });
  assert.equal(photo.status, 200);
  assert.equal(photo.headers.get('content-type'), 'image/jpeg');
  const bytes = Buffer.from(await photo.arrayBuffer());
  assert.ok(bytes.length > 10_000, `a real photo (${bytes.length} bytes)`);
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
  await context.close();
});

test('on a 390 px phone the header keeps a long company name and the sync time on one line each', async (t) => {
  const c = await company(t, { company: 'Northern Illinois Asphalt Paving and Sealcoating Company of Greater Chicagoland' });
  const { context, page } = await openClock(noCamera, c);
  await register(page, c);
  await visible(page, '#company', /Northern Illinois/);
  const lines = await page.evaluate(() =>
    ['company', 'sync-status'].map((id) => {
      const element = document.getElementById(id);
      return element.getBoundingClientRect().height / parseFloat(getComputedStyle(element).fontSize);
    }),
  );
  for (const [i, height] of lines.entries()) assert.ok(height < 1.8, `line ${i} of the header is one line high (${height.toFixed(2)} em)`);
  assert.match(await page.locator('#company').getAttribute('title'), /Greater Chicagoland$/, 'the full name is its title');
  await context.close();
});

test('a role without FaceFront is not asked for a photo', async (t) => {
  const c = await company(t);
  const bo = await c.employee('Bo Office', c.roles.plain.id, '1357');
  const { context, page } = await openClock(faceCamera, c);
  await register(page, c);
  await signIn(page, '1357', 'Bo Office');
  await button(page, 'Clock In').click();
  await visible(page, '#message', /Clocked in at .*\. Sent\./);
  assert.equal(await page.locator('#screen-camera').isVisible(), false);
  const [punch] = await waitPunches(c, bo.id, 1);
  assert.equal(punch.photo_url, null);
  assert.equal(punch.no_photo_reason, 'role_without_face_front');
  await context.close();
});

test('a device without a front camera is not asked, and the punch records no_front_camera', async (t) => {
  const c = await company(t);
  const cy = await c.employee('Cy Field', c.roles.face.id, '8642');
  const { context, page } = await openClock(noCamera, c);
  await register(page, c, 'Old tablet');
  assert.equal((await ok(c.url, '/api/v1/devices', c.token))[0].has_front_camera, false);
  await signIn(page, '8642', 'Cy Field');
  await button(page, 'Clock In').click();
  await visible(page, '#message', /Clocked in at .*\. Sent\./);
  assert.equal(await page.locator('#screen-camera').isVisible(), false);
  const [punch] = await waitPunches(c, cy.id, 1);
  assert.equal(punch.no_photo_reason, 'no_front_camera');
  assert.equal(punch.flagged, false);
  await context.close();
});

test('Clock For: a foreman clocks two crew members in, without photos, recorded as clocked by them', async (t) => {
  const c = await company(t);
  const fay = await c.employee('Fay Foreman', c.roles.foreman.id, '5555');
  const gus = await c.employee('Gus Crew', c.roles.face.id, '6001');
  const hal = await c.employee('Hal Crew', c.roles.face.id, '6002');
  await ok(c.url, `/api/v1/employees/${fay.id}/crew`, c.token, { method: 'PUT', body: { members: [gus.id, hal.id] } });
  const { context, page } = await openClock(faceCamera, c);
  await register(page, c);
  await signIn(page, '5555', 'Fay Foreman');
  await button(page, 'Clock For my crew').click();
  await page.getByLabel('Gus Crew').check();
  await page.getByLabel('Hal Crew').check();
  await screenshot(page, 'clock-crew');
  await button(page, 'Clock In selected').click();
  await visible(page, '#message', /Clocked in 2 crew members at .*\. Sent\./);
  assert.equal(await page.locator('#screen-camera').isVisible(), false, 'no photo is asked with Clock For');
  for (const member of [gus, hal]) {
    const [punch] = await waitPunches(c, member.id, 1);
    assert.equal(punch.kind, 'in');
    assert.equal(punch.clock_for_by, fay.id);
    assert.equal(punch.no_photo_reason, 'clock_for');
    assert.equal(punch.photo_url, null);
  }
  assert.equal((await punches(c, fay.id)).length, 0, 'the foreman was not clocked');
  await context.close();
});

test('with View own time card, the employee sees this pay period\'s shifts and totals, and what is waiting to be sent', async (t) => {
  const c = await company(t);
  const own = await ok(c.url, '/api/v1/roles', c.token, { method: 'POST', body: { name: 'E2E own card', abilities: { view_own_time_card: true } } });
  const vi = await c.employee('Vi Card', own.id, '2580');
  await c.employee('Bo Office', c.roles.plain.id, '1357');
  const { context, page } = await openClock(noCamera, c);
  await register(page, c);
  // A role without the ability has no button.
  await signIn(page, '1357', 'Bo Office');
  assert.equal(await button(page, 'My time card').isVisible(), false);
  await button(page, 'Done').click();
  // Vi clocks in and opens her card at once: what was just sent is on it, said as such.
  await signIn(page, '2580', 'Vi Card');
  await button(page, 'Clock In').click();
  await visible(page, '#message', /Clocked in at .*\. Sent\./);
  await button(page, 'My time card').click();
  await visible(page, '#card-view h2', 'Sent since you signed in (1)');
  assert.match(await page.locator('#card-view').innerText(), /Clock In — today at/);
  await button(page, 'Back').click();
  // She clocks out; at her next sign-in the card counts that shift.
  await button(page, 'Clock Out').click();
  await visible(page, '#message', /Clocked out at .*\. Sent\./);
  await button(page, 'Done').click();
  await signIn(page, '2580', 'Vi Card');
  await button(page, 'My time card').click();
  await visible(page, '#screen-card');
  const view = page.locator('#card-view');
  assert.match(await view.innerText(), /Pay period/);
  assert.equal(await view.locator('table.my-card tbody tr').count(), 1, 'one shift this pay period');
  assert.match(await view.locator('.my-totals').innerText(), /Total 0:0\d · Regular 0:0\d/);
  const [first] = await waitPunches(c, vi.id, 2);
  // One time format on every screen: the card says "7:02 AM" as the messages do, never "07:02".
  const spaces = (text) => text.replace(/\s/g, ' ');
  const started = new Date(first.occurred_at).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', timeZone: 'America/Chicago' });
  assert.equal(spaces(await view.locator('table.my-card tbody tr td').first().innerText()), spaces(started));
  assert.match(await view.locator('table.my-card tbody tr td').nth(1).innerText(), /^\d{1,2}:\d\d\s[AP]M$/);
  await button(page, 'Back').click();
  await button(page, 'Done').click();
  // Offline, a punch waits on the device: the card says so and does not count it yet.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await context.setOffline(true);
  await visible(page, '#network', 'Offline');
  await signInOffline(page, '2580', 'Vi Card');
  await button(page, 'Clock In').click();
  await visible(page, '#message', /Saved on this device/);
  await button(page, 'My time card').click();
  await visible(page, '#card-view h2', 'Waiting to be sent (1)');
  assert.match(await view.innerText(), /Clock In — today at/);
  assert.equal(await view.locator('table.my-card tbody tr').count(), 1, 'the waiting punch is not in the server\'s count');
  await screenshot(page, 'clock-own-time-card');
  await context.close();
});

test('offline: punches and photos survive a reload and arrive exactly once with their original times', async (t) => {
  const c = await company(t);
  const ida = await c.employee('Ida Field', c.roles.face.id, '4321');
  const { context, page } = await openClock(faceCamera, c);
  await register(page, c);
  // Signing in online once lets Ida sign in here offline later.
  await signIn(page, '4321', 'Ida Field');
  await button(page, 'Done').click();
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));

  await context.setOffline(true);
  await visible(page, '#network', 'Offline');
  await signInOffline(page, '4321', 'Ida Field');
  const times = [];
  for (const label of ['Clock In', 'Clock Out']) {
    const from = Date.now();
    await button(page, label).click();
    await takePhoto(page);
    await visible(page, '#message', /Saved on this device/);
    times.push([from, Date.now()]);
  }
  await visible(page, '#queue-badge', 'Waiting to send (2)');
  // On a 390 x 844 phone, offline with the banner and the badge, Done is on screen without scrolling.
  const done = await button(page, 'Done').boundingBox();
  assert.ok(done && done.y >= 0 && done.y + done.height <= 844, `Done is above the fold (${JSON.stringify(done)})`);
  await screenshot(page, 'clock-offline');

  await page.reload();
  await visible(page, 'h1', 'Enter your PIN');
  await visible(page, '#queue-badge', 'Waiting to send (2)');
  assert.equal((await punches(c, ida.id)).length, 0, 'nothing reached the server while offline');

  const backOnline = Date.now();
  await context.setOffline(false);
  await hidden(page, '#queue-badge');
  const stored = await waitPunches(c, ida.id, 2);
  // A manual sync afterwards sends nothing twice.
  await button(page, 'Sync').click();
  await visible(page, '#message', /^Synced/);
  const again = await punches(c, ida.id);
  assert.equal(again.length, 2, 'each punch arrived exactly once');
  assert.deepEqual(stored.map((p) => p.kind), ['in', 'out']);
  stored.forEach((punch, i) => {
    const at = Date.parse(punch.occurred_at);
    assert.ok(at >= times[i][0] - 1000 && at <= times[i][1], `punch ${i} keeps the time it was made`);
    assert.ok(Date.parse(punch.received_at) >= backOnline - 1000, 'received after the network came back');
    assert.ok(punch.photo_url, 'the offline photo went with it');
  });
  assert.equal(new Set(stored.map((p) => p.client_id)).size, 2);
  await context.close();
});

test('offline, the clock keeps no PIN verifier: the PIN goes sealed with each punch and the server judges it on arrival', async (t) => {
  const c = await company(t);
  const ida = await c.employee('Ida Field', c.roles.plain.id, '482193');
  await c.employee('Bo Field', c.roles.plain.id, '735102');
  const { context, page } = await openClock(noCamera, c);
  await register(page, c);
  for (const [pin, name] of [['482193', 'Ida Field'], ['735102', 'Bo Field']]) {
    await signIn(page, pin, name);
    await button(page, 'Done').click();
  }
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));

  // Nothing the device keeps lets a PIN be tried: no hash, no salt, no PIN.
  const kept = await storedOnDevice(page);
  for (const derived of ['pinHash', 'pin-salt', 'local-lock', '482193', '735102']) {
    assert.ok(!kept.includes(derived), `the device keeps no ${derived}`);
  }

  await context.setOffline(true);
  await visible(page, '#network', 'Offline');
  // A wrong PIN offline is not refused (the clock cannot know), it asks who is signing in.
  await enterPin(page, '111111');
  await visible(page, '#screen-who');
  await visible(page, 'h1', 'No network: who are you?');
  await screenshot(page, 'clock-offline-who');
  await page.locator('#who-list').getByRole('button', { name: 'Ida Field', exact: true }).click();
  await visible(page, '#message', /Your PIN is checked when the clock is back online/);
  await button(page, 'Clock In').click();
  await visible(page, '#message', /Saved on this device/);
  await button(page, 'Done').click();
  // Her own PIN, then.
  await signInOffline(page, '482193', 'Ida Field');
  await button(page, 'Clock Out').click();
  await visible(page, '#message', /Saved on this device/);
  const waiting = await storedOnDevice(page);
  for (const pin of ['111111', '482193']) assert.ok(!waiting.includes(pin), 'the outbox holds the PIN sealed, never in the clear');
  assert.match(waiting, /"sealed_pin":\{"epk":/);

  await context.setOffline(false);
  await hidden(page, '#queue-badge');
  const [wrong, right] = await waitPunches(c, ida.id, 2);
  assert.equal(wrong.kind, 'in');
  assert.equal(wrong.flagged, true, 'the punch with a wrong PIN is kept and flagged');
  assert.deepEqual(wrong.flags.map((f) => f.flag), ['pin_mismatch']);
  assert.equal(right.flagged, false, 'the punch with her PIN is accepted as any other');
  const queue = await ok(c.url, '/api/v1/review-queue', c.token);
  assert.ok(queue.some((item) => item.punch.id === wrong.id), 'the wrong PIN sends the punch to review');
  assert.ok(!queue.some((item) => item.punch.id === right.id));
  await context.close();
});

test('FaceFront turned on while the device is offline: the offline punch is flagged, the next one after sync asks for a photo', async (t) => {
  const c = await company(t);
  const role = await ok(c.url, '/api/v1/roles', c.token, { method: 'POST', body: { name: 'Yard', abilities: {} } });
  const jo = await c.employee('Jo Yard', role.id, '9753');
  const { context, page } = await openClock(faceCamera, c);
  await register(page, c);
  await signIn(page, '9753', 'Jo Yard');
  await button(page, 'Done').click();

  await context.setOffline(true);
  await visible(page, '#network', 'Offline');
  await ok(c.url, `/api/v1/roles/${role.id}`, c.token, { method: 'PUT', body: { name: 'Yard', abilities: { face_front: true } } });
  await signInOffline(page, '9753', 'Jo Yard');
  await button(page, 'Clock In').click();
  await visible(page, '#message', /Saved on this device/);
  assert.equal(await page.locator('#screen-camera').isVisible(), false, 'the device did not know of FaceFront yet');

  await context.setOffline(false);
  await hidden(page, '#queue-badge');
  const [first] = await waitPunches(c, jo.id, 1);
  assert.equal(first.no_photo_reason, 'synced_too_late');
  assert.equal(first.flagged, true);

  await button(page, 'Sync').click();
  await visible(page, '#message', /^Synced/);
  await button(page, 'Done').click();
  await signIn(page, '9753', 'Jo Yard');
  await button(page, 'Clock Out').click();
  await takePhoto(page);
  await visible(page, '#message', /Clocked out at .* with your photo\. Sent\./);
  const [, second] = await waitPunches(c, jo.id, 2);
  assert.equal(second.kind, 'out');
  assert.ok(second.photo_url);
  await context.close();
});

test('reopening the clock syncs at once, so a role change made while it was closed applies, and it syncs again every 5 minutes', async (t) => {
  const c = await company(t);
  const role = await ok(c.url, '/api/v1/roles', c.token, { method: 'POST', body: { name: 'Crew', abilities: {} } });
  const max = await c.employee('Max Crew', role.id, '8080');
  const context = await faceCamera.newContext(PHONE);
  const syncs = [];
  context.on('request', (request) => request.url().endsWith('/api/v1/device/sync') && syncs.push(Date.now()));
  const first = await context.newPage();
  await first.goto(`${c.url}/clock`);
  await register(first, c);
  // Signing in online once lets Max sign in offline below, where only the synced roles decide FaceFront.
  await signIn(first, '8080', 'Max Crew');
  await button(first, 'Done').click();
  await first.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await first.close();

  await ok(c.url, `/api/v1/roles/${role.id}`, c.token, { method: 'PUT', body: { name: 'Crew', abilities: { face_front: true } } });

  // The page's clock is Playwright's: it runs on its own, and the test moves it on instead of waiting.
  await context.clock.install();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const opened = syncs.length;
  await page.goto(`${c.url}/clock`);
  await visible(page, 'h1', 'Enter your PIN');
  await eventually(() => syncs.length > opened, 'a sync when the clock opens');
  await visible(page, '#sync-status', /Synced today/);
  assert.equal(await page.locator('#message.error').isVisible(), false, 'the clock starts without an error');

  // Offline, the device decides FaceFront from what it synced on opening: it now asks for a photo.
  await context.setOffline(true);
  await visible(page, '#network', 'Offline');
  await signInOffline(page, '8080', 'Max Crew');
  await button(page, 'Clock In').click();
  await visible(page, '#screen-camera');
  await takePhoto(page);
  await visible(page, '#message', /with your photo\. Saved on this device/);
  await context.setOffline(false);
  const [punch] = await waitPunches(c, max.id, 1);
  assert.ok(punch.photo_url, 'the punch carries the photo');
  assert.equal(punch.no_photo_reason, null);

  // Five and a half minutes later by the page's clock, the timer has synced again by itself.
  await hidden(page, '#queue-badge');
  const settled = syncs.length;
  await page.clock.runFor('05:30');
  await eventually(() => syncs.length > settled, 'a sync 5 minutes after the last one');
  assert.deepEqual(errors, [], 'no error on the page');
  await context.close();
});

test('a dark photo is called out before it is sent; the worker may retake or send it anyway', async (t) => {
  const c = await company(t);
  const kim = await c.employee('Kim Night', c.roles.face.id, '1122');
  const { context, page } = await openClock(darkCamera, c);
  await register(page, c);
  await signIn(page, '1122', 'Kim Night');
  await button(page, 'Clock In').click();
  await visible(page, '#screen-camera');
  await button(page, 'Take photo').click();
  await visible(page, '#camera-warning', /too dark/);
  await screenshot(page, 'clock-photo-too-dark');
  await button(page, 'Retake').click();
  await hidden(page, '#camera-warning');
  await button(page, 'Take photo').click();
  await visible(page, '#camera-warning', /too dark/);
  await button(page, 'Send anyway').click();
  await visible(page, '#message', /with your photo\. Sent\./);
  const [punch] = await waitPunches(c, kim.id, 1);
  assert.ok(punch.photo_url);
  await context.close();
});

test('photo rotation: a test photo shows it, and the setting reaches the server', async (t) => {
  const c = await company(t);
  const { context, page } = await openClock(faceCamera, c);
  await register(page, c);
  await button(page, 'Device settings').click();
  await button(page, 'Take test photo').click();
  await visible(page, '#rotation-preview');
  await page.getByLabel('90°').check();
  await page.waitForFunction(() => document.getElementById('rotation-preview').style.transform === 'rotate(90deg)');
  await screenshot(page, 'clock-settings');
  await eventually(async () => (await ok(c.url, '/api/v1/devices', c.token))[0].photo_rotation === 90, 'the rotation synced');
  await page.reload();
  await button(page, 'Device settings').click();
  assert.equal(await page.getByLabel('90°').isChecked(), true, 'kept on the device');
  await context.close();
});

test('a wrong PIN says so, and repeated wrong PINs lock the device out', async (t) => {
  const c = await company(t);
  await c.employee('Lee Field', c.roles.plain.id, '2580');
  const { context, page } = await openClock(noCamera, c);
  await register(page, c);
  await enterPin(page, '1111');
  await visible(page, '#message', 'Wrong PIN. 9 more tries before this device locks for 15 minutes.');
  for (let left = 8; left >= 1; left--) {
    await enterPin(page, '1111');
    await visible(page, '#message', `Wrong PIN. ${left} more ${left === 1 ? 'try' : 'tries'} before this device locks for 15 minutes.`);
  }
  await enterPin(page, '1111');
  await visible(page, '#message', /Too many wrong attempts: this device is locked for 15 minutes/);
  await enterPin(page, '2580');
  await visible(page, '#message', /Too many wrong attempts/);
  assert.equal(await page.locator('#screen-status').isVisible(), false, 'the right PIN does not open a locked device');
  await screenshot(page, 'clock-locked');
  await context.close();
});
