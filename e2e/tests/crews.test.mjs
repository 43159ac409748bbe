// Field crews in a real browser: Manage → Jobs and Cost codes (add with a geofence, edit,
// deactivate; a cost code for some jobs), and the CSV imports (bad lines listed and nothing
// imported, then a good file).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, apiLogin } from '../lib/server.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { randomUUID } from 'node:crypto';
import { signedIn as signInAs, deviceTime } from '../lib/admin.mjs';
import { company, openClock, register, signIn, button, visible, waitPunches, ok, PHONE } from '../lib/clock.mjs';

const ADMIN = 'admin@acme.test';
const VIEWPORT = { width: 1280, height: 860 };

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

/** Uploads `text` as a CSV file through the import panel of the page open at `page`. */
async function importCsv(page, text) {
  await page.getByLabel('CSV file').setInputFiles({ name: 'import.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.getByRole('button', { name: 'Import' }).click();
}

test('an admin adds, edits and deactivates a job and a cost code for some jobs', async () => {
  const { context, page } = await signedIn();
  await page.getByText('Manage').click();
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  await page.getByRole('link', { name: 'Add job' }).click();
  await page.getByLabel('Job number').fill('J-100');
  await page.getByLabel('Name').fill('Main St garage');
  await page.getByLabel('Address').fill('100 Main St');
  await page.getByLabel('Centre latitude').fill('41.88');
  await page.getByLabel('Centre longitude').fill('-87.63');
  await page.getByLabel('Radius (m)').fill('5');
  await page.getByRole('button', { name: 'Save' }).click();
  // A radius too small is shown beside its field, with what was typed kept.
  await page.getByText('Must be between 10 and 100000 metres.').waitFor();
  assert.equal(await page.getByLabel('Job number').inputValue(), 'J-100');
  await page.getByLabel('Radius (m)').fill('150');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved. Devices get the change at their next sync.').waitFor();

  await page.getByRole('link', { name: 'Jobs' }).first().click();
  const row = page.getByRole('row', { name: /J-100/ });
  await row.getByText('41.88000, -87.63000 · 150 m').waitFor();
  await screenshot(page, 'jobs');

  const { body: jobs } = await api(server.url, '/api/v1/jobs', { token });
  assert.deepEqual(jobs[0].geofence, { latitude: 41.88, longitude: -87.63, radius_m: 150 });

  // A second job, then a cost code for the first only.
  await api(server.url, '/api/v1/jobs', { method: 'POST', token, body: { number: 'J-200', name: 'Bridge' } });
  await page.goto(`${server.url}/admin/cost-codes`);
  await page.getByRole('link', { name: 'Add cost code' }).click();
  await page.getByLabel('Cost code number').fill('03-100');
  await page.getByLabel('Name').fill('Concrete forms');
  await page.getByLabel('Only these jobs:').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Name at least one job, or make the code for all jobs.').waitFor();
  await page.getByLabel('J-100 Main St garage').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved. Devices get the change at their next sync.').waitFor();
  await page.goto(`${server.url}/admin/cost-codes`);
  await page.getByRole('row', { name: /03-100/ }).getByText('J-100 Main St garage').waitFor();

  // Deactivating the job keeps it, marked inactive.
  await page.goto(`${server.url}/admin/jobs`);
  await page.getByRole('link', { name: 'Edit Main St garage' }).click();
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Deactivate job' }).click();
  await page.getByText('Deactivated: it is no longer offered on the clock.').waitFor();
  await page.getByRole('row', { name: /J-100/ }).getByText('Inactive').waitFor();
  await context.close();
});

test('a CSV import lists every bad line and imports nothing, then a good file imports all', async () => {
  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/jobs`);
  await importCsv(page, 'number,name,latitude,longitude,radius_m\nJ-300,Depot,41.9,-87.7,200\nJ 301,Bad number,,,\nJ-302,Half a fence,41.9,,\n');
  await page.getByText('Nothing was imported: 2 lines cannot be.').waitFor();
  await page.getByText(/Line 3: number: must be/).waitFor();
  await page.getByText(/Line 4: a geofence needs latitude/).waitFor();
  await screenshot(page, 'jobs-import-errors');
  assert.equal(await page.getByRole('row', { name: /J-300/ }).count(), 0);

  await importCsv(page, 'number,name,address\nJ-300,Depot,1 Yard Rd\nJ-301,North lot,\n');
  await page.getByText('Imported: 2 added, 0 updated.').waitFor();
  await page.getByRole('row', { name: /J-301/ }).waitFor();

  await page.goto(`${server.url}/admin/cost-codes`);
  await importCsv(page, 'number,name,jobs\n01-000,General,\n05-200,Paving,J-300;J-999\n');
  await page.getByText(/Line 3: jobs: there is no job numbered `J-999`/).waitFor();
  await importCsv(page, 'number,name,jobs\n01-000,General,\n05-200,Paving,J-300;J-301\n');
  await page.getByText('Imported: 2 added, 0 updated.').waitFor();
  await page.getByRole('row', { name: /05-200/ }).getByText('J-300 Depot, J-301 North lot').waitFor();
  await page.getByRole('row', { name: /01-000/ }).getByText('All jobs').waitFor();
  await screenshot(page, 'cost-codes');
  await context.close();
});

test('the time card shows the job and cost code of each shift', async () => {
  const job = await api(server.url, '/api/v1/jobs', { method: 'POST', token, body: { number: 'J-500', name: 'Depot yard' } });
  const code = await api(server.url, '/api/v1/cost-codes', { method: 'POST', token, body: { number: '09-900', name: 'Cleanup' } });
  const roles = await api(server.url, '/api/v1/roles', { token });
  const worker = await api(server.url, '/api/v1/employees', {
    method: 'POST',
    token,
    body: { name: 'Rosa Parks', number: 'E-500', role_id: roles.body[0].id },
  });
  const registration = await api(server.url, '/api/v1/devices/registration-codes', { method: 'POST', token, body: {} });
  const device = await api(server.url, '/api/v1/device/register', {
    method: 'POST',
    body: { code: registration.body.code, name: 'Yard tablet', has_front_camera: false },
  });
  for (const [kind, minutesAgo] of [['in', 120], ['out', 60]]) {
    const body = { client_id: randomUUID(), employee_id: worker.body.id, kind, device_time: deviceTime(minutesAgo) };
    if (kind === 'in') Object.assign(body, { job_id: job.body.id, cost_code_id: code.body.id });
    const punched = await api(server.url, '/api/v1/punches', { method: 'POST', token: device.body.token, body });
    assert.equal(punched.status, 201, JSON.stringify(punched.body));
  }
  const { context, page } = await signedIn();
  const punchDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago' }).format(new Date(Date.now() - 120 * 60_000));
  await page.goto(`${server.url}/admin/time-cards?employee=${worker.body.id}&from=${punchDay}`);
  await page.locator('.shift-job', { hasText: 'J-500 Depot yard' }).waitFor();
  await page.locator('.shift-code', { hasText: '09-900 Cleanup' }).waitFor();
  await screenshot(page, 'time-card-jobs');
  await context.close();
});

test('on the clock the employee picks the job (recent first, or by search) and its cost code at Clock In', async (t) => {
  const c = await company(t);
  const worker = await c.employee('Lu Field', c.roles.plain.id, '2580');
  const post = (path, body) => ok(c.url, path, c.token, { method: 'POST', body });
  const bridge = await post('/api/v1/jobs', { number: 'J-20', name: 'Bridge deck' });
  await post('/api/v1/jobs', { number: 'J-10', name: 'Airport hangar' });
  const forms = await post('/api/v1/cost-codes', { number: '03-100', name: 'Concrete forms', all_jobs: false, job_ids: [bridge.id] });
  await post('/api/v1/cost-codes', { number: '01-000', name: 'General' });

  const { context, page } = await openClock(browser, c);
  await register(page, c);
  await signIn(page, '2580', 'Lu Field');
  await button(page, 'Clock In').click();
  await visible(page, '#screen-job');
  await page.getByLabel('Search jobs').fill('bridge');
  await visible(page, '#job-list button', 'Bridge deck');
  assert.equal(await page.locator('#job-list button').count(), 1, 'the search keeps the matching job');
  await screenshot(page, 'clock-job-pick');
  await page.locator('#job-list button', { hasText: 'Bridge deck' }).click();
  await visible(page, '#job-title', 'Bridge deck: which cost code?');
  assert.equal(await page.locator('#code-list button').count(), 2, 'the job\'s own code and the one for all jobs');
  await page.locator('#code-list button', { hasText: 'Concrete forms' }).click();
  await visible(page, '#message', /Clocked in at .*\. Sent\./);
  // The status screen says which job and cost code the shift is on, and so does a sign-in again.
  await visible(page, '#status-job', 'Job: J-20 Bridge deck · Cost code: 03-100 Concrete forms');
  await button(page, 'Done').click();
  await signIn(page, '2580', 'Lu Field');
  await visible(page, '#status-job', 'Job: J-20 Bridge deck · Cost code: 03-100 Concrete forms');
  const [punch] = await waitPunches(c, worker.id, 1);
  assert.equal(punch.job_id, bridge.id);
  assert.equal(punch.cost_code_id, forms.id);
  assert.deepEqual(punch.flags, [], 'signed over its job and cost code, and the signature checks');

  // Clocking out asks nothing, and ends the job; the next clock-in lists the recent job first.
  await button(page, 'Clock Out').click();
  await visible(page, '#message', /Clocked out at .*\. Sent\./);
  assert.equal(await page.locator('#status-job').isVisible(), false, 'no job once clocked out');
  await button(page, 'Clock In').click();
  await visible(page, '#screen-job');
  assert.match(await page.locator('#job-list button').first().textContent(), /Bridge deck.*recent/);
  await button(page, 'Cancel').click();
  await visible(page, '#screen-status');
  assert.equal((await waitPunches(c, worker.id, 2)).length, 2, 'a cancelled pick makes no punch');
  await context.close();
});

test('Change job clocks out of one job and into another at the same instant with one tap', async (t) => {
  const c = await company(t);
  const worker = await c.employee('Mo Field', c.roles.plain.id, '3690');
  const post = (path, body) => ok(c.url, path, c.token, { method: 'POST', body });
  const first = await post('/api/v1/jobs', { number: 'J-1', name: 'North yard' });
  const second = await post('/api/v1/jobs', { number: 'J-2', name: 'South yard' });
  const { context, page } = await openClock(browser, c);
  await register(page, c);
  await signIn(page, '3690', 'Mo Field');
  assert.equal(await page.locator('#change-job-button').isVisible(), false, 'not before clocking in');
  await button(page, 'Clock In').click();
  await page.locator('#job-list button', { hasText: 'North yard' }).click();
  await visible(page, '#message', /Clocked in at .*\. Sent\./);
  await button(page, 'Change job').click();
  await page.locator('#job-list button', { hasText: 'South yard' }).click();
  await visible(page, '#message', /Changed to South yard at .*\. Sent\./);
  const [, out, into] = await waitPunches(c, worker.id, 3);
  assert.deepEqual([out.kind, into.kind], ['out', 'in']);
  assert.equal(out.occurred_at, into.occurred_at, 'the same instant');
  assert.equal(into.job_id, second.id);
  assert.notEqual(first.id, second.id);
  assert.deepEqual([...out.flags, ...into.flags], [], 'neither is flagged');
  await visible(page, '#status-line', /Clocked in since/);
  await visible(page, '#status-job', 'Job: J-2 South yard');
  // A break keeps the shift's job, on this screen and from the server at the next sign-in.
  await button(page, 'Start break').click();
  await visible(page, '#message', /Break started at .*\. Sent\./);
  await button(page, 'End break').click();
  await visible(page, '#message', /Break ended at .*\. Sent\./);
  await visible(page, '#status-job', 'Job: J-2 South yard');
  await waitPunches(c, worker.id, 5);
  await button(page, 'Done').click();
  await signIn(page, '3690', 'Mo Field');
  await visible(page, '#status-job', 'Job: J-2 South yard');
  await context.close();
});

test("a foreman's Clock For picks the job for the crew, and the device's position goes with the punch of a member whose role records GPS", async (t) => {
  const c = await company(t);
  const gps = await ok(c.url, '/api/v1/roles', c.token, { method: 'POST', body: { name: 'Field GPS', abilities: { record_gps: true } } });
  const fay = await c.employee('Fay Foreman', c.roles.foreman.id, '5555');
  const gus = await c.employee('Gus Crew', gps.id, '6001');
  const hal = await c.employee('Hal Crew', c.roles.plain.id, '6002');
  await ok(c.url, `/api/v1/employees/${fay.id}/crew`, c.token, { method: 'PUT', body: { members: [gus.id, hal.id] } });
  const site = { latitude: 41.88, longitude: -87.63 };
  const job = await ok(c.url, '/api/v1/jobs', c.token, { method: 'POST', body: { number: 'J-7', name: 'Tower crane', geofence: { ...site, radius_m: 150 } } });
  const context = await browser.newContext({ ...PHONE, geolocation: { ...site, accuracy: 9 }, permissions: ['geolocation'] });
  const page = await context.newPage();
  await page.goto(`${c.url}/clock`);
  await register(page, c);
  await signIn(page, '5555', 'Fay Foreman');
  await button(page, 'Clock For my crew').click();
  await page.getByLabel('Gus Crew').check();
  await page.getByLabel('Hal Crew').check();
  await button(page, 'Clock In selected').click();
  await visible(page, '#job-title', 'Which job for the crew?');
  await page.locator('#job-list button', { hasText: 'Tower crane' }).click();
  await visible(page, '#message', /Clocked in 2 crew members at .*\. Sent\./);
  for (const member of [gus, hal]) {
    const [punch] = await waitPunches(c, member.id, 1);
    assert.equal(punch.clock_for_by, fay.id);
    assert.equal(punch.job_id, job.id);
  }
  const [located] = await waitPunches(c, gus.id, 1);
  assert.deepEqual(located.position, { ...site, accuracy_m: 9 }, "Gus's role records GPS: the foreman's device's fix");
  assert.deepEqual(located.flags, [], 'inside the fence');
  const [unlocated] = await waitPunches(c, hal.id, 1);
  assert.equal(unlocated.position, null, "Hal's role does not record GPS");
  assert.equal(unlocated.no_position_reason, null);
  await context.close();
});

test('GPS: a punch inside the fence, one outside flagged with its distance, one with the permission refused', async (t) => {
  const c = await company(t);
  const gps = await ok(c.url, '/api/v1/roles', c.token, { method: 'POST', body: { name: 'Field GPS', abilities: { record_gps: true } } });
  const worker = await c.employee('Ivy Field', gps.id, '4826');
  const site = { latitude: 41.88, longitude: -87.63 };
  await ok(c.url, '/api/v1/jobs', c.token, { method: 'POST', body: { number: 'J-1', name: 'Depot', geofence: { ...site, radius_m: 150 } } });

  // Granted, inside the fence, then moved 0.005° north (556 m) before clocking in again.
  const context = await browser.newContext({ ...PHONE, geolocation: { ...site, accuracy: 8 }, permissions: ['geolocation'] });
  const page = await context.newPage();
  await page.goto(`${c.url}/clock`);
  await register(page, c);
  await signIn(page, '4826', 'Ivy Field');
  const clockInAtDepot = async () => {
    await button(page, 'Clock In').click();
    await page.locator('#job-list button', { hasText: 'Depot' }).click();
    await visible(page, '#message', /Clocked in at .*\. Sent\./);
  };
  await clockInAtDepot();
  await button(page, 'Clock Out').click();
  await visible(page, '#message', /Clocked out at .*\. Sent\./);
  await context.setGeolocation({ latitude: site.latitude + 0.005, longitude: site.longitude, accuracy: 12 });
  await clockInAtDepot();
  const [inside, , outside] = await waitPunches(c, worker.id, 3);
  assert.equal(inside.position.latitude, site.latitude);
  assert.equal(inside.position.accuracy_m, 8);
  assert.deepEqual(inside.flags, []);
  assert.ok(inside.fence_distance_m < 1, `${inside.fence_distance_m}`);
  assert.ok(outside.flagged);
  assert.equal(outside.flags[0].flag, 'outside_geofence');
  assert.match(outside.flags[0].detail, /Made 406 m outside the geofence of J-1 Depot \(556 m from its centre, accuracy ±12 m\)/);
  await context.close();

  // The time card shows the flag, and the hover the position, distance and a map link; the review queue lists it.
  const admin = await signInAs(browser, c.url, 'admin@acme.test', VIEWPORT);
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago' }).format(new Date());
  await admin.page.goto(`${c.url}/admin/time-cards?employee=${worker.id}&from=${day}`);
  await admin.page.locator('.punch-flag', { hasText: "Outside the job's geofence" }).waitFor();
  const pin = admin.page.getByRole('button', { name: /Position: Clock in/ }).last();
  await pin.hover();
  const card = admin.page.locator('.position-info', { has: pin }).locator('.position-card');
  await card.getByText('556 m from the job\'s fence centre').waitFor();
  assert.match(await card.getByRole('link', { name: 'Open in OpenStreetMap' }).getAttribute('href'), /^https:\/\/www\.openstreetmap\.org\/\?mlat=41\.885000&mlon=-87\.630000#map=17\//);
  await screenshot(admin.page, 'time-card-geofence');
  await admin.page.goto(`${c.url}/admin/review`);
  await admin.page.getByText(/406 m outside the geofence/).first().waitFor();
  await admin.context.close();

  // Refused: the punch goes, with the reason.
  const refused = await browser.newContext(PHONE);
  const other = await refused.newPage();
  await other.goto(`${c.url}/clock`);
  await register(other, c, 'Second phone');
  await signIn(other, '4826', 'Ivy Field');
  await button(other, 'Clock Out').click();
  await visible(other, '#message', /Clocked out at .*\. Sent\./);
  const last = (await waitPunches(c, worker.id, 4))[3];
  assert.equal(last.position, null);
  assert.equal(last.no_position_reason, 'permission_denied');
  await refused.close();
});

test("Who's working now lists everyone clocked in, since when, at which job, with their flags", async (t) => {
  const c = await company(t);
  const ana = await c.employee('Ana Works', c.roles.plain.id);
  const bo = await c.employee('Bo Left', c.roles.plain.id);
  const job = await ok(c.url, '/api/v1/jobs', c.token, { method: 'POST', body: { number: 'J-3', name: 'Library roof' } });
  const device = await ok(c.url, '/api/v1/device/register', null, {
    method: 'POST',
    body: { code: await c.code(), name: 'Roof tablet', has_front_camera: false },
  });
  const punch = (employee, kind, minutesAgo, extra = {}) =>
    ok(c.url, '/api/v1/punches', device.token, {
      method: 'POST',
      body: { client_id: randomUUID(), employee_id: employee.id, kind, device_time: deviceTime(minutesAgo), ...extra },
    });
  await punch(ana, 'in', 95, { job_id: job.id });
  await punch(bo, 'in', 120);
  await punch(bo, 'out', 30);
  // Made 30 hours before the device was registered: kept, and flagged.
  const cy = await c.employee('Cy Early', c.roles.plain.id);
  await punch(cy, 'in', 30 * 60);
  // Corrections count as on the time card: Dee forgot to clock out (an admin added it), Eve
  // forgot to clock in (an admin added it); a clock-out for Fay later today is refused (a
  // correction cannot be in the future), so she is still working on her own clock-in.
  const correct = (employee, body) =>
    ok(c.url, `/api/v1/employees/${employee.id}/corrections`, c.token, { method: 'POST', body: { reason: 'Forgot to punch', ...body } });
  const dee = await c.employee('Dee Forgot', c.roles.plain.id);
  await punch(dee, 'in', 600);
  await correct(dee, { action: 'add', kind: 'out', at: deviceTime(120) });
  const eve = await c.employee('Eve Added', c.roles.plain.id);
  await correct(eve, { action: 'add', kind: 'in', at: deviceTime(60) });
  const fay = await c.employee('Fay Later', c.roles.plain.id);
  await punch(fay, 'in', 45);
  // A role that records GPS, a clock-in whose phone gave no position: the row says why.
  const gps = await ok(c.url, '/api/v1/roles', c.token, { method: 'POST', body: { name: 'E2E GPS crew', abilities: { record_gps: true } } });
  const gus = await c.employee('Gus Nogps', gps.id);
  await punch(gus, 'in', 20, { no_position_reason: 'permission_denied' });
  const later = await api(c.url, `/api/v1/employees/${fay.id}/corrections`, {
    method: 'POST',
    token: c.token,
    body: { reason: 'Leaves at five', action: 'add', kind: 'out', at: deviceTime(-120) },
  });
  assert.equal(later.status, 422);
  assert.equal(later.body.error.field, 'at');
  const { context, page } = await signInAs(browser, c.url, 'admin@acme.test', VIEWPORT);
  await page.getByRole('link', { name: 'Working now' }).click();
  const row = page.getByRole('row', { name: /Ana Works/ });
  await row.getByText('Library roof').waitFor();
  await row.getByText(/^1:3[45]$/).waitFor();
  assert.equal(await page.getByRole('row', { name: /Bo Left/ }).count(), 0, 'clocked out is not working');
  await page.getByRole('row', { name: /Cy Early/ }).getByText('Before the device was set up').waitFor();
  assert.equal(await page.getByRole('row', { name: /Dee Forgot/ }).count(), 0, 'the added clock-out ended her shift');
  const added = page.getByRole('row', { name: /Eve Added/ });
  await added.getByText('Clock-in added by a correction').waitFor();
  await added.getByText(/^1:0[01]$/).waitFor();
  const fayRow = page.getByRole('row', { name: /Fay Later/ });
  await fayRow.getByText('Own clock-in').waitFor();
  await fayRow.getByText('None').waitFor();
  const gusRow = page.getByRole('row', { name: /Gus Nogps/ });
  await gusRow.getByText('No position', { exact: true }).waitFor();
  assert.equal(await gusRow.getByText('None').count(), 0, 'a clock-in without its position is not "Flags: None"');
  await screenshot(page, 'working-now');
  await context.close();
});

test('a break: Start break and End break on the clock, one shift on the cards with the break left out of the hours', async (t) => {
  const c = await company(t);
  const crew = await ok(c.url, '/api/v1/roles', c.token, { method: 'POST', body: { name: 'E2E crew with card', abilities: { view_own_time_card: true } } });
  const rae = await c.employee('Rae Break', crew.id, '4826');
  const context = await browser.newContext(PHONE);
  // The page's clock is Playwright's: the test moves it on through the break instead of waiting.
  await context.clock.install();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${c.url}/clock`);
  await register(page, c);
  await signIn(page, '4826', 'Rae Break');
  assert.equal(await button(page, 'Start break').isVisible(), false, 'no break before clocking in');
  await button(page, 'Clock In').click();
  await visible(page, '#message', /Clocked in at .*\. Sent\./);
  await button(page, 'Start break').click();
  await visible(page, '#message', /Break started at .*\. Sent\./);
  await visible(page, '#status-line', /On a break since/);
  assert.equal(await button(page, 'Change job').isVisible(), false, 'no job change on a break');
  assert.equal(await button(page, 'Start break').isVisible(), false);
  await screenshot(page, 'clock-on-break');

  // Who's working now shows her on her break.
  const { context: office, page: admin } = await signInAs(browser, c.url, ADMIN, VIEWPORT);
  await admin.goto(`${c.url}/admin/working-now`);
  await admin.getByRole('row', { name: /Rae Break/ }).getByText(/On a break since \d\d:\d\d/).waitFor();

  // Half an hour later the idle clock has signed her out; signed in again, the server says she is on her break.
  await page.clock.fastForward('30:00');
  await visible(page, 'h1', 'Enter your PIN');
  await signIn(page, '4826', 'Rae Break');
  await visible(page, '#status-line', /On a break since/);
  await button(page, 'End break').click();
  await visible(page, '#message', /Break ended at .*\. Sent\./);
  await visible(page, '#status-line', /Back from your break since/);
  await button(page, 'Clock Out').click();
  await visible(page, '#message', /Clocked out at .*\. Sent\./);

  const list = await waitPunches(c, rae.id, 4);
  assert.deepEqual(
    list.map((p) => [p.kind, p.on_break]),
    [['in', false], ['out', true], ['in', true], ['out', false]],
  );
  assert.deepEqual(list.flatMap((p) => p.flags), [], 'signed over the break mark; nothing flagged');

  // Her own card: one shift, the break under its stop time, the break's minutes unpaid.
  await button(page, 'Done').click();
  await signIn(page, '4826', 'Rae Break');
  await button(page, 'My time card').click();
  await visible(page, '#screen-card');
  const view = page.locator('#card-view');
  await view.locator('.my-totals').waitFor();
  assert.equal(await view.locator('table.my-card tbody tr').count(), 1, `one shift: ${await view.innerText()}`);
  await view.locator('.my-break', { hasText: /^Break \d{1,2}:\d\d\s[AP]M–\d{1,2}:\d\d\s[AP]M$/ }).waitFor();
  assert.match(await view.locator('.my-totals').innerText(), /Breaks 0:30 \(unpaid\)/);

  // The admin's time card: the break on the shift, and the period's breaks not counted.
  const day = new Date(list[0].occurred_at).toLocaleDateString('en-CA', { timeZone: 'America/Chicago' });
  await admin.goto(`${c.url}/admin/time-cards?employee=${rae.id}&from=${day}`);
  await admin.locator('.badge.break', { hasText: /^Break \d\d:\d\d–\d\d:\d\d \(0:30 unpaid\)$/ }).waitFor();
  await admin.getByText('Breaks (unpaid, not counted above)').waitFor();
  await screenshot(admin, 'time-card-break');
  assert.deepEqual(errors, [], 'no error on the page');
  await office.close();
  await context.close();
});
