// Job costing in a real browser: punches on two jobs (one shift with a cost code, a Change job
// in the middle of a California day), Payroll → Job costing shows the hours by job and cost code
// with the employees under each, the same totals as the pay period, a filter to one job, the
// empty state of a period with no hours, and the CSV download read back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { startServer, api, apiLogin } from '../lib/server.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { signedIn as signInAs } from '../lib/admin.mjs';

const ADMIN = 'admin@acme.test';
const VIEWPORT = { width: 1280, height: 900 };
const WEEK = '2026-11-16';

let server;
let browser;
let token;
let device;
let depot;
let mainSt;

async function post(path, body, auth = token) {
  const sent = await api(server.url, path, { method: 'POST', token: auth, body });
  assert.equal(sent.status, 201, `${path}: ${JSON.stringify(sent.body)}`);
  return sent.body;
}

async function punch(employee, kind, deviceTime, job, costCode) {
  await post('/api/v1/punches', { client_id: randomUUID(), employee_id: employee.id, kind, device_time: deviceTime, job_id: job?.id, cost_code_id: costCode?.id }, device);
}

before(async () => {
  server = await startServer({ email: ADMIN });
  browser = await launch();
  token = await apiLogin(server.url, ADMIN);
  const settings = await api(server.url, '/api/v1/payroll/settings', { token });
  const saved = await api(server.url, '/api/v1/payroll/settings', {
    method: 'PUT',
    token,
    body: { ...settings.body, pay_frequency: 'weekly', period_anchor: WEEK, workweek_starts: 'Mon', overtime_rule: 'california' },
  });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  const roles = await api(server.url, '/api/v1/roles', { token });
  const ada = await post('/api/v1/employees', { name: 'Ada Lovelace', number: '42', role_id: roles.body[0].id });
  const grace = await post('/api/v1/employees', { name: 'Grace Hopper', number: '43', role_id: roles.body[0].id });
  depot = await post('/api/v1/jobs', { number: 'J-100', name: 'Depot' });
  mainSt = await post('/api/v1/jobs', { number: 'J-200', name: 'Main St' });
  const forms = await post('/api/v1/cost-codes', { number: '03-100', name: 'Forms' });
  const code = await post('/api/v1/devices/registration-codes', {});
  const registered = await post('/api/v1/device/register', { code: code.code, name: 'Site tablet', has_front_camera: false }, null);
  device = registered.token;
  // Ada, Monday: Depot / Forms 06:00-14:00, Change job at 14:00 (out and in at the same instant),
  // Main St 14:00-19:00: 13 h, of which California pays 8 regular, 4 overtime, 1 double time.
  await punch(ada, 'in', `${WEEK}T06:00:00-06:00`, depot, forms);
  await punch(ada, 'out', `${WEEK}T14:00:00-06:00`, depot, forms);
  await punch(ada, 'in', `${WEEK}T14:00:00-06:00`, mainSt);
  await punch(ada, 'out', `${WEEK}T19:00:00-06:00`, mainSt);
  // Grace, Tuesday: Main St 07:00-15:00, 8 h regular.
  await punch(grace, 'in', '2026-11-17T07:00:00-06:00', mainSt);
  await punch(grace, 'out', '2026-11-17T15:00:00-06:00', mainSt);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The cells' texts of each row of the costing table's body, trimmed. */
async function rows(page) {
  return page.locator('table.costing tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].map((cell) => cell.textContent.replace(/\s+/g, ' ').trim())));
}

test('Job costing shows the hours by job and cost code, with the employees under each, and filters to one job', async () => {
  const { context, page } = await signInAs(browser, server.url, ADMIN, VIEWPORT);
  await page.goto(`${server.url}/admin/payroll?date=${WEEK}`);
  const total = await page.locator('table.overview tfoot').innerText();
  await page.getByRole('link', { name: 'Job costing' }).click();
  await page.getByRole('heading', { name: 'Job costing' }).waitFor();
  assert.match(await page.locator('.period').innerText(), /Mon 16 Nov – Sun 22 Nov 2026/);
  // Job, cost code, employee, regular, overtime, double time, total. Depot's 8 h are Ada's first
  // 8 (regular); Main St has her hours after the 8th (overtime) and the 12th (double), and Grace's day.
  assert.deepEqual(await rows(page), [
    ['J-100 Depot', '03-100 Forms', '1 employee', '8:00', '0:00', '0:00', '8:00'],
    ['', '', 'Ada Lovelace 42', '8:00', '0:00', '0:00', '8:00'],
    ['J-200 Main St', '—', '2 employees', '8:00', '4:00', '1:00', '13:00'],
    ['', '', 'Ada Lovelace 42', '0:00', '4:00', '1:00', '5:00'],
    ['', '', 'Grace Hopper 43', '8:00', '0:00', '0:00', '8:00'],
  ]);
  // The same totals as the pay period: 16 regular, 4 overtime, 1 double time.
  const foot = await page.locator('table.costing tfoot').innerText();
  assert.match(foot, /16:00\s+4:00\s+1:00\s+21:00/);
  assert.match(total, /16:00\s+4:00\s+1:00/);
  await screenshot(page, 'admin-job-costing');

  // One job: the select submits itself.
  await page.getByLabel('Job', { exact: true }).selectOption({ label: 'J-200 Main St' });
  await page.waitForURL(/job=/);
  await page.getByText('J-200 Main St only').waitFor();
  const filtered = await rows(page);
  assert.deepEqual(filtered.map((r) => r[0]).filter(Boolean), ['J-200 Main St']);
  assert.match(await page.locator('table.costing tfoot').innerText(), /8:00\s+4:00\s+1:00\s+13:00/);

  // The week before has no hours: the table says so.
  await page.getByRole('link', { name: '‹ Previous period' }).click();
  await page.getByText('No hours on this job in this pay period.').waitFor();
  await context.close();
});

test('the job costing CSV has a line per job, cost code and employee', async () => {
  const { context, page } = await signInAs(browser, server.url, ADMIN, VIEWPORT);
  await page.goto(`${server.url}/admin/payroll/costing?date=${WEEK}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  assert.equal(download.suggestedFilename(), 'job_costing_20261116_20261122.csv');
  const text = readFileSync(await download.path(), 'utf8');
  assert.deepEqual(text.split('\r\n'), [
    'job_number,job_name,cost_code,cost_code_name,employee_number,employee_name,regular_hours,overtime_hours,double_time_hours,total_hours',
    'J-100,Depot,03-100,Forms,42,Ada Lovelace,8.00,0.00,0.00,8.00',
    'J-200,Main St,,,42,Ada Lovelace,0.00,4.00,1.00,5.00',
    'J-200,Main St,,,43,Grace Hopper,8.00,0.00,0.00,8.00',
    '',
  ]);
  // The payroll CSV export carries the same jobs, a line per employee per day per job.
  await page.goto(`${server.url}/admin/payroll?date=${WEEK}`);
  // The period is not approved: the page asks before the file is made.
  await page.locator('button[data-format="csv"]').click();
  const question = page.locator('#confirm-export');
  await question.getByRole('heading', { name: 'Export CSV (clockface)?' }).waitFor();
  const [exported] = await Promise.all([page.waitForEvent('download'), question.getByRole('button', { name: 'Export anyway' }).click()]);
  const lines = readFileSync(await exported.path(), 'utf8').split('\r\n');
  assert.ok(lines.includes('42,Ada Lovelace,2026-11-16,8.00,0.00,0.00,8.00,J-100,03-100'), lines.join('\n'));
  assert.ok(lines.includes('42,Ada Lovelace,2026-11-16,0.00,4.00,1.00,5.00,J-200,'), lines.join('\n'));
  assert.ok(lines.includes('43,Grace Hopper,2026-11-17,8.00,0.00,0.00,8.00,J-200,'), lines.join('\n'));
  await context.close();
});
