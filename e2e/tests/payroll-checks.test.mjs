// The payroll pages' second thoughts, in a real browser: under the California rule a day's row
// on the time card shows its regular, overtime and double time; approving a period whose cards
// still have open flags lists them (with links) and asks; an unapproved period's export says so
// before the download, and a company can require approval first; QuickBooks' company create time
// is a setting explained where it is entered and written in the IIF; a time-off type is added in
// payroll settings; and admin forms with two mistakes show both, beside their fields, in words,
// keeping what was typed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { startServer, api, apiLogin } from '../lib/server.mjs';
import { launch, screenshot } from '../lib/browser.mjs';
import { signedIn as signInAs } from '../lib/admin.mjs';

const ADMIN = 'admin@acme.test';
const VIEWPORT = { width: 1280, height: 900 };
const WEEK = '2026-11-16';

let server;
let browser;
let ada;
let grace;

// bypassCSP: the pages allow only their own scripts; axe is injected by the test.
const signedIn = () => signInAs(browser, server.url, ADMIN, VIEWPORT, { bypassCSP: true });

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe's WCAG 2.1 A and AA violations on the page as it is now (the questions and refusals are
 * shown only after a form is sent, so the crawl of a11y.test.mjs does not reach them). */
async function violations(page) {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ path: AXE });
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const result = await page.evaluate((values) => globalThis.axe.run(globalThis.document, { runOnly: { type: 'tag', values } }), tags);
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}

before(async () => {
  server = await startServer({ email: ADMIN });
  browser = await launch();
  const token = await apiLogin(server.url, ADMIN);
  const settings = await api(server.url, '/api/v1/payroll/settings', {
    method: 'PUT',
    token,
    body: {
      pay_frequency: 'weekly', period_anchor: WEEK, workweek_starts: 'Mon', overtime_rule: 'california',
      meal_after_minutes: null, meal_minutes: null,
      codes: {
        adp_company_code: 'ABC', adp_batch_id: '7', adp_double_time_code: 'D',
        adp_run_iid: '12345', adp_run_regular_code: 'REG', adp_run_overtime_code: 'OVT', adp_run_double_time_code: 'DBL',
        paychex_client_id: '7001234', paychex_regular: 'Hourly', paychex_overtime: 'Overtime', paychex_double_time: 'Doubletime',
        quickbooks_company: 'Acme Paving', quickbooks_regular_item: 'Regular', quickbooks_overtime_item: 'Overtime Rate',
        quickbooks_double_time_item: 'Overtime Rate (2)',
      },
    },
  });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  const roles = await api(server.url, '/api/v1/roles', { token });
  const employee = async (name, number) => {
    const created = await api(server.url, '/api/v1/employees', { method: 'POST', token, body: { name, number, role_id: roles.body[0].id } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  };
  ada = await employee('Ada Lovelace', '42');
  grace = await employee('Grace Hopper', '43');
  const code = await api(server.url, '/api/v1/devices/registration-codes', { method: 'POST', token, body: {} });
  const registered = await api(server.url, '/api/v1/device/register', { method: 'POST', body: { code: code.body.code, name: 'Site tablet', has_front_camera: false } });
  assert.equal(registered.status, 201);
  const punch = async (who, kind, deviceTime) => {
    const sent = await api(server.url, '/api/v1/punches', {
      method: 'POST',
      token: registered.body.token,
      body: { client_id: randomUUID(), employee_id: who.id, kind, device_time: deviceTime },
    });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
  };
  // Ada: a 13-hour Monday. Grace: clocked in on Tuesday, never out.
  await punch(ada, 'in', `${WEEK}T06:00:00-06:00`);
  await punch(ada, 'out', `${WEEK}T19:00:00-06:00`);
  await punch(grace, 'in', '2026-11-17T07:00:00-06:00');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("under the California rule a day's row shows its regular, overtime and double time", async () => {
  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/time-cards?employee=${ada.id}&from=${WEEK}`);
  const monday = page.locator('tr.day', { hasText: 'Mon 16 Nov' }).locator('td.day-total');
  await monday.waitFor();
  assert.match(await monday.innerText(), /^13:00\s+8:00 regular, 4:00 overtime, 1:00 double time$/);
  // A day without overtime says nothing more than its total.
  assert.equal(await page.locator('.day-split').count(), 1);
  await screenshot(page, 'admin-time-card-california-split');
  await context.close();
});

test('approving a period whose cards still have open flags lists them, with links, and asks first', async () => {
  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/payroll?date=${WEEK}`);
  await page.getByRole('button', { name: 'Approve the period for payroll' }).click();
  const question = page.locator('#confirm-approve');
  await question.getByRole('heading', { name: 'Approve the period with open flags?' }).waitFor();
  const items = await question.locator('li').allInnerTexts();
  assert.deepEqual(items, [
    'Ada Lovelace: 2 photos or punches to check',
    'Grace Hopper: 1 missing punch, 1 photo or punch to check',
  ]);
  assert.match(await question.innerText(), /a missing punch stays uncounted/);
  assert.deepEqual(await violations(page), []);
  // Not now: nothing was approved.
  await question.getByRole('link', { name: 'Not now' }).click();
  await page.getByText('Not approved for payroll yet', { exact: true }).waitFor();
  assert.equal(await page.locator('#confirm-approve').count(), 0);
  // The link opens the card with the missing clock-out.
  await page.getByRole('button', { name: 'Approve the period for payroll' }).click();
  await page.locator('#confirm-approve').getByRole('link', { name: 'Grace Hopper' }).click();
  await page.locator('tr.day', { hasText: 'Tue 17 Nov' }).getByText('Missing clock-out').waitFor();
  await context.close();
});

test('an unapproved period says so before the download, and exporting asks first', async () => {
  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/payroll?date=${WEEK}`);
  const warning = page.locator('#export-not-approved');
  assert.match(await warning.innerText(), /^Not approved for payroll yet: a file made now has the hours as they stand/);
  await page.locator('button[data-format="gusto"]').click();
  const question = page.locator('#confirm-export');
  await question.getByRole('heading', { name: 'Export Gusto (hours CSV)?' }).waitFor();
  assert.match(await question.innerText(), /This pay period is not approved for payroll yet: its hours can still change/);
  await screenshot(page, 'admin-pay-period-export-unapproved');
  assert.deepEqual(await violations(page), []);
  const [download] = await Promise.all([page.waitForEvent('download'), question.getByRole('button', { name: 'Export anyway' }).click()]);
  assert.match(readFileSync(await download.path(), 'utf8'), /Ada,Lovelace,8\.00,4\.00,1\.00/);
  await context.close();
});

test('payroll settings: two mistakes shown beside their fields in words, what was typed kept; approval before export required and explained', async () => {
  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/payroll/settings`);
  // Where the QuickBooks company create time comes from is said where it is entered.
  const createTime = page.getByLabel('QuickBooks company create time (COMPANYCREATETIME)');
  assert.match(await page.locator('#create-time-help').innerText(), /File → Utilities → Export → Timer Lists/);
  assert.match(await page.locator('#require-approval-help').innerText(), /exports only once it is approved for payroll/);
  await page.getByLabel('ADP Workforce Now company code (3 characters)').fill('AB');
  await createTime.fill('last Tuesday');
  await page.getByLabel('Require approval before export').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Not saved: see the messages beside the fields below.').waitFor();
  const adpError = page.locator('#adp_company_code-error');
  assert.equal(await adpError.innerText(), 'ADP company codes are 3 characters.');
  const timeError = page.locator('#quickbooks_company_create_time-error');
  assert.match(await timeError.innerText(), /^The company create time is the number \(digits only\) from the TIMERHDR line/);
  assert.doesNotMatch(await page.locator('main').innerText(), /adp_company_code:|quickbooks_company_create_time:/);
  assert.equal(await page.getByLabel('ADP Workforce Now company code (3 characters)').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('ADP Workforce Now company code (3 characters)').inputValue(), 'AB');
  assert.equal(await createTime.inputValue(), 'last Tuesday');
  assert.equal(await page.getByLabel('Require approval before export').isChecked(), true);
  await screenshot(page, 'admin-payroll-settings-errors');
  assert.deepEqual(await violations(page), []);
  await page.getByLabel('ADP Workforce Now company code (3 characters)').fill('ABC');
  await createTime.fill('1045678901');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Payroll settings saved.').waitFor();

  // Required: the export panel says so, and an unapproved period gives no file but a sentence.
  await page.goto(`${server.url}/admin/payroll?date=${WEEK}`);
  assert.match(await page.locator('#export-not-approved').innerText(), /this company exports only approved periods/);
  await page.locator('button[data-format="quickbooks_iif"]').click();
  const refusal = page.getByRole('alert').filter({ hasText: 'is not approved for payroll' });
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /^The pay period 2026-11-16 to 2026-11-22 is not approved for payroll, and this company exports only approved periods/);
  // Approved (acknowledging the flags), it exports with the company file's create time.
  await page.getByRole('button', { name: 'Approve the period for payroll' }).click();
  await page.locator('#confirm-approve').getByRole('button', { name: 'Approve the period anyway' }).click();
  await page.getByText('Pay period approved for payroll').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-format="quickbooks_iif"]').click()]);
  const iif = readFileSync(await download.path(), 'utf8');
  assert.ok(iif.split('\r\n').includes('TIMERHDR\t8\t0\tAcme Paving\tN\tY\t1045678901'), iif);
  await context.close();
});

test('payroll settings: a time-off type is added with its balance and pay codes; its mistakes are shown beside their fields', async () => {
  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/payroll/settings`);
  await page.getByText('Add a type').click();
  let form = page.locator('#type-new');
  await form.getByLabel('Name', { exact: true }).fill('Jury duty');
  await form.locator('select[name="accrual"]').selectOption('per_hour_worked');
  await form.getByLabel('Hours earned (per hour worked)').fill('1');
  await form.getByLabel('For every so many hours worked').fill('thirty');
  await form.getByLabel('Cap (hours; empty: none)').fill('40');
  await form.getByLabel('ADP RUN earnings code').fill('=JUR');
  await form.getByRole('button', { name: 'Add the type' }).click();
  await page.getByText('Time-off type not saved: see the messages beside its fields.').waitFor();
  form = page.locator('#type-new');
  assert.equal(await form.getAttribute('open'), '', 'the refused form stays open');
  assert.match(await form.locator('#new-accrual_rate-error').innerText(), /is not a number of hours such as 8 or 4\.5/);
  assert.match(await form.locator('#new-adp_run_earnings_code-error').innerText(), /formula/);
  assert.equal(await form.getByLabel('ADP RUN earnings code').getAttribute('aria-invalid'), 'true');
  assert.equal(await form.getByLabel('Name', { exact: true }).inputValue(), 'Jury duty');
  assert.equal(await form.getByLabel('For every so many hours worked').inputValue(), 'thirty');
  await screenshot(page, 'admin-payroll-time-off-type-errors');
  assert.deepEqual(await violations(page), []);

  await form.getByLabel('For every so many hours worked').fill('30');
  await form.getByLabel('ADP RUN earnings code').fill('JUR');
  await form.getByRole('button', { name: 'Add the type' }).click();
  await page.getByText('Time-off type saved.').waitFor();
  await page.locator('summary', { hasText: 'Jury duty' }).click();
  const saved = page.locator('details', { has: page.locator('summary', { hasText: 'Jury duty' }) });
  assert.equal(await saved.getByLabel('ADP RUN earnings code').inputValue(), 'JUR');
  assert.equal(await saved.getByLabel('Cap (hours; empty: none)').inputValue(), '40');
  assert.equal(await saved.locator('select[name="accrual"]').inputValue(), 'per_hour_worked');
  await context.close();
});

test('the employee, job and biometric deletion forms show every mistake beside its field, in words, keeping what was typed', async () => {
  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/employees/new`);
  const form = page.locator('#employee-form');
  await form.getByLabel('Name', { exact: true }).fill('   ');
  await form.getByLabel('Employee number').fill('44');
  await form.getByLabel('PIN').fill('12');
  await form.getByRole('button', { name: 'Save' }).click();
  const errors = page.locator('#employee-form .field-error');
  await errors.first().waitFor();
  const shown = await errors.allInnerTexts();
  assert.equal(shown.length, 2, JSON.stringify(shown));
  for (const message of shown) {
    assert.match(message, /^[A-Z][^:]*\.$/, `in words, capitalised, no field name: ${message}`);
  }
  assert.match(shown[1], /4 to 8 digits/);
  assert.equal(await form.getByLabel('Employee number').inputValue(), '44');
  assert.deepEqual(await violations(page), []);

  await page.goto(`${server.url}/admin/jobs/new`);
  const job = page.locator('#job-form');
  await job.getByLabel('Job number').fill('J-9');
  await job.getByLabel('Name', { exact: true }).fill('Depot');
  await job.getByLabel('Centre latitude').fill('north');
  await job.getByLabel('Centre longitude').fill('-87.63');
  await job.getByLabel('Radius (m)').fill('5');
  await job.getByRole('button', { name: 'Save' }).click();
  await page.locator('#job-form .field-error').first().waitFor();
  assert.deepEqual(await page.locator('#job-form .field-error').allInnerTexts(), ['Must be a number.', 'Must be between 10 and 100000 metres.']);
  assert.equal(await job.getByLabel('Centre latitude').inputValue(), 'north');
  assert.equal(await job.getByLabel('Radius (m)').inputValue(), '5');

  // Privacy: deleting biometric data needs a reason; one of spaces is refused beside it, in words.
  await page.goto(`${server.url}/admin/employees/${ada.id}`);
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByLabel('Delete their biometric data now — why').fill('   ');
  await page.getByRole('button', { name: 'Delete biometric data' }).click();
  const why = page.locator('#delete-reason-error');
  await why.waitFor();
  assert.match(await why.innerText(), /^Say why the data is deleted/);
  assert.equal(await page.getByLabel('Delete their biometric data now — why').getAttribute('aria-invalid'), 'true');
  await context.close();
});

test('reopening with a reason of only spaces is refused beside the reason, keeping what was typed; meal minutes typed while unticked are kept', async () => {
  // The period was approved by the settings test above.
  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/payroll?date=${WEEK}`);
  const reason = page.getByLabel('Reason to reopen the period');
  await reason.fill('   ');
  await page.getByRole('button', { name: 'Reopen the period' }).click();
  const error = page.locator('#reopen-period-error');
  await error.waitFor();
  assert.equal(await error.innerText(), 'Say why it is reopened.');
  assert.equal(await reason.inputValue(), '   ', 'what was typed is kept');
  assert.equal(await reason.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByRole('alert').count(), 0, 'nothing at the top of the page');
  assert.match(await page.locator('.period').innerText(), /Approved for payroll/, 'still approved');
  assert.deepEqual(await violations(page), []);
  await reason.fill('Missed a clock-out');
  await page.getByRole('button', { name: 'Reopen the period' }).click();
  await page.getByText('Reopened: corrections are taken again.').waitFor();

  // Payroll settings: minutes typed into the meal break with its box unticked stay as typed when
  // another field is refused.
  await page.goto(`${server.url}/admin/payroll/settings`);
  assert.equal(await page.getByLabel('Deduct a meal break automatically').isChecked(), false);
  await page.getByLabel('From shifts longer than (minutes)').fill('300');
  await page.getByLabel('Minutes deducted').fill('45');
  await page.getByLabel('ADP Workforce Now company code (3 characters)').fill('AB');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#adp_company_code-error').waitFor();
  assert.equal(await page.getByLabel('From shifts longer than (minutes)').inputValue(), '300');
  assert.equal(await page.getByLabel('Minutes deducted').inputValue(), '45');
  assert.equal(await page.getByLabel('Deduct a meal break automatically').isChecked(), false);
  await context.close();
});
