// The admin web app in a real browser: sign in, turn FaceFront on for a role (and see a device
// get it at its next sync), give an employee that role and a PIN, review a punch's photo on the
// time card, keep another company out, and show what went wrong on a form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { startServer, api, apiLogin, ADMIN_PASSWORD } from '../lib/server.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { signedIn as signInAs, deviceTime } from '../lib/admin.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FACE = readFileSync(join(root, 'crates', 'clockface', 'assets', 'demo', 'hopper-1.jpg'));
const ADMIN = 'admin@acme.test';
const VIEWPORT = { width: 1280, height: 860 };

let server;
let browser;
let token; // the first company's admin, over the API

before(async () => {
  server = await startServer({ email: ADMIN });
  browser = await launch();
  token = await apiLogin(server.url, ADMIN);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fresh browser context signed in as `email`. */
const signedIn = (email = ADMIN) => signInAs(browser, server.url, email, VIEWPORT);

/** Registers a device over the API with a code an admin made; returns its token. */
async function registerDevice(name = 'Site 4 tablet') {
  const code = await api(server.url, '/api/v1/devices/registration-codes', { method: 'POST', token, body: {} });
  assert.equal(code.status, 201);
  const registered = await api(server.url, '/api/v1/device/register', {
    method: 'POST',
    body: { code: code.body.code, name, has_front_camera: true },
  });
  assert.equal(registered.status, 201);
  return registered.body.token;
}

async function sync(device) {
  const { status, body } = await api(server.url, '/api/v1/device/sync', { method: 'POST', token: device, body: {} });
  assert.equal(status, 200);
  return body;
}

async function roleNamed(name) {
  const { body } = await api(server.url, '/api/v1/roles', { token });
  return body.find((role) => role.name === name);
}

async function employee(name, number, roleName, pin) {
  const role = await roleNamed(roleName);
  const body = { name, number, role_id: role.id };
  if (pin) body.pin = pin;
  const created = await api(server.url, '/api/v1/employees', { method: 'POST', token, body });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

test('an admin signs in; a wrong password says so and keeps the e-mail', async () => {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  await page.goto(`${server.url}/admin/employees`);
  assert.match(page.url(), /\/admin\/sign-in\?next=/);
  await page.getByLabel('E-mail').fill(ADMIN);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'The e-mail address or the password is wrong.' }).waitFor();
  assert.equal(await page.getByLabel('E-mail').inputValue(), ADMIN);
  await screenshot(page, 'admin-sign-in-wrong-password');

  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The wrong password before is not kept from the admin.
  await page.getByRole('alert').filter({ hasText: /There was 1 failed sign-in attempt on your account since you last signed in/ }).waitFor();
  await screenshot(page, 'admin-signed-in-after-failed-attempt');
  await page.getByRole('link', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Employees' }).waitFor();
  assert.match(page.url(), /\/admin\/employees$/, 'back to the page first asked for');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'cf_session');
  assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
  assert.equal(session.sameSite, 'Lax');
  await context.close();
});

test('Manage → Security Roles: FaceFront on, Save, and a device sees it at its next sync', async () => {
  const device = await registerDevice();
  const synced = await sync(device);
  assert.equal(synced.roles.find((r) => r.name === 'Employee').abilities.face_front, false);

  const { context, page } = await signedIn();
  await page.getByText('Manage', { exact: true }).click();
  await page.getByRole('link', { name: 'Security Roles' }).click();
  await page.getByRole('heading', { name: 'Security Roles' }).waitFor();
  await page.getByRole('list', { name: 'Roles' }).getByRole('link', { name: /Employee/ }).click();
  const faceFront = page.getByRole('switch', { name: /FaceFront/ });
  assert.equal(await faceFront.isChecked(), false);
  await page.locator('label.toggle', { hasText: 'FaceFront' }).click();
  assert.equal(await faceFront.isChecked(), true);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved. Devices get the change at their next sync.' }).waitFor();
  assert.equal(await page.getByRole('switch', { name: /FaceFront/ }).isChecked(), true);
  await screenshot(page, 'admin-security-roles');

  const resynced = await sync(device);
  assert.equal(resynced.roles.find((r) => r.name === 'Employee').abilities.face_front, true);
  assert.ok(resynced.settings_version > synced.settings_version, 'the settings version went up');
  await context.close();
});

test('Manage → Employees: pencil, role and PIN, Save; a duplicate PIN is refused beside the field', async () => {
  await employee('Ada Lovelace', 'E-100', 'Employee', '2468');
  const grace = await employee('Grace Hopper', 'E-101', 'Foreman');

  const { context, page } = await signedIn();
  await page.getByText('Manage', { exact: true }).click();
  await page.getByRole('link', { name: 'Employees' }).click();
  await page.getByRole('heading', { name: 'Employees' }).waitFor();
  await screenshot(page, 'admin-employees');
  await page.getByRole('link', { name: 'Edit Grace Hopper' }).click();
  await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
  assert.ok(await page.getByText('No PIN yet').isVisible());
  await page.getByLabel('Name', { exact: true }).fill('Grace B. Hopper');
  await page.getByLabel('Mobile security role').selectOption({ label: 'Employee' });
  await page.getByLabel('PIN', { exact: true }).fill('2468');
  await page.getByRole('button', { name: 'Save' }).click();
  const pinError = page.locator('#pin-error');
  await pinError.waitFor();
  assert.match(await pinError.innerText(), /Another employee of the company already uses this PIN; choose a different one/);
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Grace B. Hopper', 'what was typed is kept');
  await screenshot(page, 'admin-employee-duplicate-pin');

  await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
  await page.getByLabel('PIN', { exact: true }).fill('1357');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  assert.ok(await page.getByText('A PIN is set').isVisible());
  assert.equal(await page.getByLabel('PIN', { exact: true }).inputValue(), '', 'the PIN is never shown');
  await screenshot(page, 'admin-employee-edit');

  const stored = await api(server.url, `/api/v1/employees/${grace.id}`, { token });
  assert.equal(stored.body.role_id, (await roleNamed('Employee')).id);
  assert.equal(stored.body.has_pin, true);
  await context.close();
});

test('Manage → Devices: a one-time code, shown large; the list; revoking with a confirm', async () => {
  const { context, page } = await signedIn();
  await page.getByText('Manage', { exact: true }).click();
  await page.getByRole('link', { name: 'Devices' }).click();
  await page.getByRole('button', { name: 'Create registration code' }).click();
  const code = (await page.locator('#registration-code').innerText()).trim();
  assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  await screenshot(page, 'admin-devices');
  const registered = await api(server.url, '/api/v1/device/register', { method: 'POST', body: { code, name: 'Gate kiosk', has_front_camera: false } });
  assert.equal(registered.status, 201);
  await page.goto(`${server.url}/admin/devices`);
  const row = page.getByRole('row', { name: /Gate kiosk/ });
  await row.waitFor();
  assert.equal(await page.locator('#registration-code').count(), 0, 'the code is shown once');
  page.once('dialog', (dialog) => dialog.accept());
  await row.getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('status').filter({ hasText: 'Device revoked.' }).waitFor();
  const refused = await api(server.url, '/api/v1/device/sync', { method: 'POST', token: registered.body.token, body: {} });
  assert.equal(refused.status, 401, 'a revoked device stops working');
  await context.close();
});

test('Time Cards: a punch with a photo shows an "i"; hovering it shows the photo; another company gets 404', async () => {
  const ada = (await api(server.url, '/api/v1/employees?search=Ada', { token })).body[0];
  const device = await registerDevice('North gate tablet');
  const settings = await sync(device);
  const punch = { client_id: randomUUID(), employee_id: ada.id, kind: 'in', device_time: deviceTime(3), settings_version: settings.settings_version };
  const form = new FormData();
  form.append('punch', new Blob([JSON.stringify(punch)], { type: 'application/json' }));
  form.append('photo', new Blob([FACE], { type: 'image/jpeg' }), 'photo.jpg');
  const response = await fetch(`${server.url}/api/v1/punches`, { method: 'POST', headers: { authorization: `Bearer ${device}` }, body: form });
  const stored = await response.json();
  assert.equal(response.status, 201, JSON.stringify(stored));
  const sha = stored.punch.photo_sha256;
  // The clock-out without a photo: the camera was refused, so it is flagged.
  const out = await api(server.url, '/api/v1/punches', {
    method: 'POST',
    token: device,
    body: { client_id: randomUUID(), employee_id: ada.id, kind: 'out', device_time: deviceTime(1), no_photo_reason: 'camera_denied' },
  });
  assert.equal(out.status, 201, JSON.stringify(out.body));

  const { context, page } = await signedIn();
  await page.getByRole('link', { name: 'Time Cards' }).click();
  await page.locator('select[name=employee]').selectOption({ label: 'Ada Lovelace' });
  await page.locator('.period strong', { hasText: 'Ada Lovelace' }).waitFor();
  await page.getByText('Flagged:').waitFor();
  const icon = page.getByRole('button', { name: /FaceFront photo: Clock in/ });
  await icon.hover();
  const card = page.locator('.photo-card').first();
  await card.waitFor({ state: 'visible' });
  const image = card.locator('img');
  await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await image.elementHandle());
  assert.match(await card.innerText(), /North gate tablet/);
  assert.match(await card.innerText(), /Verification: (Waiting for verification|Not enrolled)/);
  await screenshot(page, 'admin-time-card-photo');

  // Keyboard: focusing the "i" shows the card too.
  await page.mouse.move(0, 0);
  await card.waitFor({ state: 'hidden' });
  await icon.focus();
  await card.waitFor({ state: 'visible' });

  // Turn it for display: the card shows it a quarter turn right.
  await card.getByRole('button', { name: 'Turn right' }).click();
  await page.locator('.photo-card img.rot-90').waitFor({ state: 'attached' });

  const photoUrl = `${server.url}/admin/photos/${sha}`;
  const mine = await context.request.get(photoUrl);
  assert.equal(mine.status(), 200);
  assert.equal(mine.headers()['cache-control'], 'no-store', 'a photo of a person is never kept in a cache');

  server.createCompany('Other Paving', 'zed@other.test');
  const other = await signedIn('zed@other.test');
  const theirs = await other.context.request.get(photoUrl);
  assert.equal(theirs.status(), 404, "another company's admin cannot see the photo");
  const anonymous = await browser.newContext();
  assert.equal((await anonymous.request.get(photoUrl)).status(), 401);
  await Promise.all([anonymous.close(), other.context.close(), context.close()]);
});
