// Face verification on the admin pages in a real browser: publish the retention policy on the
// Privacy page, let the employee sign the release and upload an enrolment photo on their page, let a punch with someone else's face reach the Review
// page (both photos shown, with the verdict), decide "Not them" and see the queue empty; a
// matching punch shows "Match" in the time card's "i".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { startServer, api, apiLogin } from '../lib/server.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { signedIn as signInAs, deviceTime } from '../lib/admin.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = (name) => join(root, 'crates', 'face', 'tests', 'fixtures', name);
const ADMIN = 'admin@acme.test';
const VIEWPORT = { width: 1280, height: 900 };

let server;
let browser;
let token;

before(async () => {
  server = await startServer({ email: ADMIN });
  browser = await launch();
  token = await apiLogin(server.url, ADMIN);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const signedIn = () => signInAs(browser, server.url, ADMIN, VIEWPORT);

/** Sends a FaceFront punch with `photo` (a fixture's name) as the device; returns the stored punch. */
async function photoPunch(device, employeeId, kind, minutesAgo, photo) {
  const settings = await api(server.url, '/api/v1/device/sync', { method: 'POST', token: device, body: {} });
  assert.equal(settings.status, 200);
  const punch = { client_id: randomUUID(), employee_id: employeeId, kind, device_time: deviceTime(minutesAgo), settings_version: settings.body.settings_version };
  const form = new FormData();
  form.append('punch', new Blob([JSON.stringify(punch)], { type: 'application/json' }));
  form.append('photo', new Blob([readFileSync(fixture(photo))], { type: 'image/jpeg' }), 'photo.jpg');
  const response = await fetch(`${server.url}/api/v1/punches`, { method: 'POST', headers: { authorization: `Bearer ${device}` }, body: form });
  const stored = await response.json();
  assert.equal(response.status, 201, JSON.stringify(stored));
  return stored.punch;
}

/** Polls `check` until it returns true, or fails after `seconds`. */
async function eventually(check, what, seconds = 120) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function imageShown(page, locator) {
  await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await locator.elementHandle());
}

test('enrol on the employee page, review a stranger\'s face, and see a match on the time card', async () => {
  const roles = (await api(server.url, '/api/v1/roles', { token })).body;
  const role = roles.find((r) => r.name === 'Employee');
  const turned = await api(server.url, `/api/v1/roles/${role.id}`, { method: 'PUT', token, body: { name: role.name, abilities: { ...role.abilities, face_front: true } } });
  assert.equal(turned.status, 200, JSON.stringify(turned.body));
  const created = await api(server.url, '/api/v1/employees', { method: 'POST', token, body: { name: 'Barack Obama', number: 'E-44', role_id: role.id } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const obama = created.body;
  const code = await api(server.url, '/api/v1/devices/registration-codes', { method: 'POST', token, body: {} });
  const registered = await api(server.url, '/api/v1/device/register', { method: 'POST', body: { code: code.body.code, name: 'Gate 2 tablet', has_front_camera: true } });
  assert.equal(registered.status, 201);
  const device = registered.body.token;

  const { context, page } = await signedIn();
  // Before a policy is published, the employee's page says so and offers no release.
  await page.goto(`${server.url}/admin/employees/${obama.id}`);
  const panel = page.locator('#face');
  await panel.getByText('no retention policy published').waitFor();
  await page.goto(`${server.url}/admin/privacy`);
  await page.getByLabel('The law your policy follows').selectOption('illinois');
  await page.getByLabel('Keep FaceFront photos for (days)').fill('90');
  await page.getByRole('button', { name: 'Publish the policy' }).click();
  await page.getByRole('status').filter({ hasText: 'Policy published.' }).waitFor();
  await page.getByText('three years after their last time punch').waitFor();
  await screenshot(page, 'admin-privacy');

  // The employee's page: they read and sign the release, then an enrolment photo is uploaded.
  await page.goto(`${server.url}/admin/employees/${obama.id}`);
  await panel.getByText('not signed yet').waitFor();
  await panel.getByText(/Acme Paving uses clockface/).waitFor();
  await screenshot(page, 'admin-review-consent');
  await panel.getByRole('button', { name: 'Sign the release' }).click();
  await panel.getByText(/type your full name/i).waitFor();
  await panel.getByLabel('Full name, typed by the employee').fill('Barack Obama');
  await panel.getByRole('button', { name: 'Sign the release' }).click();
  await page.getByRole('status').filter({ hasText: 'Release signed.' }).waitFor();
  await panel.getByText(/Signed as “Barack Obama” on this page/).waitFor();
  await panel.getByLabel('Enrolment photo', { exact: true }).setInputFiles(fixture('obama-1.jpg'));
  await panel.getByRole('button', { name: 'Upload an enrolment photo' }).click();
  await page.getByRole('status').filter({ hasText: 'Enrolment photo added.' }).waitFor();
  await imageShown(page, panel.locator('.enrolled-photos img').first());
  await screenshot(page, 'admin-review-enrolment');

  // Someone else's face clocks in as him: it reaches the Review page.
  await photoPunch(device, obama.id, 'in', 120, 'biden-1.jpg');
  await eventually(async () => {
    await page.goto(`${server.url}/admin/review`);
    return (await page.locator('.review-item').count()) > 0;
  }, 'the punch on the Review page');
  const item = page.locator('.review-item').first();
  assert.match(await item.innerText(), /Barack Obama/);
  assert.match(await item.innerText(), /Mismatch/);
  assert.match(await item.innerText(), /Gate 2 tablet/);
  assert.match(await page.locator('.count-badge').innerText(), /^1$/);
  await imageShown(page, item.getByAltText('FaceFront photo of this punch'));
  await imageShown(page, item.getByAltText(/Enrolled reference photo/));
  await screenshot(page, 'admin-review-queue');
  await item.getByRole('button', { name: 'Not them' }).click();
  await page.getByRole('status').filter({ hasText: 'Recorded: not them.' }).waitFor();
  await page.getByText('Nothing to review').waitFor();
  assert.equal(await page.locator('.count-badge').count(), 0, 'the badge is gone');

  // His own face: "Match" in the time card's "i".
  const own = await photoPunch(device, obama.id, 'out', 60, 'obama-2.jpg');
  await eventually(async () => (await api(server.url, `/api/v1/punches/${own.id}/verification`, { token })).status === 200, 'the verdict');
  // The week holding the punch, in the company's time zone (just after Monday 00:00 it is last week).
  const punchDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago' }).format(new Date(Date.now() - 60 * 60_000));
  await page.goto(`${server.url}/admin/time-cards?employee=${obama.id}&from=${punchDay}`);
  const icon = page.getByRole('button', { name: /FaceFront photo: Clock out/ });
  await icon.hover();
  const card = page.locator('.photo-info', { has: icon }).locator('.photo-card');
  await card.waitFor({ state: 'visible' });
  await imageShown(page, card.locator('img'));
  assert.match(await card.innerText(), /Verification: Match \(score/);
  await screenshot(page, 'admin-review-time-card-match');
  await context.close();
});
