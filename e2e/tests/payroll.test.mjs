// Payroll in a real browser: a missing clock-out fixed from the time card in two clicks, with the
// corrected hours and the reason on hover; an admin invites a supervisor, who accepts the link
// and sees only the employees assigned to them; the supervisor approves the card and the admin
// the period, a correction is then refused with a message, and a punch a device sends late shows
// as arrived after approval; each export downloaded and read, and the same file asked for again
// from the same page is asked about first.
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
let ada;
let grace;
let supervisor;

const signedIn = () => signInAs(browser, server.url, ADMIN, VIEWPORT);

async function punch(kind, deviceTime) {
  const sent = await api(server.url, '/api/v1/punches', {
    method: 'POST',
    token: device,
    body: { client_id: randomUUID(), employee_id: ada.id, kind, device_time: deviceTime },
  });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
}

before(async () => {
  server = await startServer({ email: ADMIN });
  browser = await launch();
  token = await apiLogin(server.url, ADMIN);
  const settings = await api(server.url, '/api/v1/payroll/settings', {
    method: 'PUT',
    token,
    body: {
      pay_frequency: 'weekly', period_anchor: WEEK, workweek_starts: 'Mon', overtime_rule: 'federal',
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
  const created = await api(server.url, '/api/v1/employees', { method: 'POST', token, body: { name: 'Ada Lovelace', number: '42', role_id: roles.body[0].id } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  ada = created.body;
  const other = await api(server.url, '/api/v1/employees', { method: 'POST', token, body: { name: 'Grace Hopper', number: '43', role_id: roles.body[0].id } });
  assert.equal(other.status, 201, JSON.stringify(other.body));
  grace = other.body;
  const code = await api(server.url, '/api/v1/devices/registration-codes', { method: 'POST', token, body: {} });
  const registered = await api(server.url, '/api/v1/device/register', { method: 'POST', body: { code: code.body.code, name: 'Site tablet', has_front_camera: false } });
  assert.equal(registered.status, 201);
  device = registered.body.token;
  // Monday: clocked in at 07:00, never out.
  await punch('in', `${WEEK}T07:00:00-06:00`);
});

after(async () => {
  await supervisor?.context.close();
  await browser?.close();
  await server?.stop();
});

test('a missing clock-out is fixed from the card in two clicks; the hours count and the reason shows on hover', async () => {
  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/time-cards?employee=${ada.id}&from=${WEEK}`);
  const monday = page.locator('tr.day', { hasText: 'Mon 16 Nov' });
  await monday.getByText('Missing clock-out').waitFor();
  // Click one opens the fix, filled in with 8 hours after the clock-in and a reason; click two saves it.
  await monday.getByText('Fix clock-out').click();
  await monday.getByRole('button', { name: 'Add clock-out' }).click();
  await page.getByText('Correction saved').waitFor();
  const fixed = page.locator('tr.day', { hasText: 'Mon 16 Nov' });
  assert.equal(await fixed.getByText('Missing clock-out').count(), 0);
  assert.match(await fixed.locator('td.num').first().innerText(), /^8:00$/);
  // Its clock-in is flagged (made before the device was set up), not for its missing photo: a role
  // without FaceFront takes none, and the card says so without "Flagged".
  await fixed.getByText('Before the device was set up').waitFor();
  assert.equal(await fixed.getByText('Flagged:').count(), 0);
  await fixed.getByText('No photo — Role without FaceFront').waitFor();
  assert.match(await page.locator('tfoot td.total').innerText(), /^8:00$/);
  // The added time is marked; hovering the mark shows that no device punch was there, and why.
  const mark = fixed.getByRole('button', { name: /Added by a correction: Clock out at 15:00/ });
  await mark.hover();
  const card = fixed.locator('.correction-card');
  await card.waitFor({ state: 'visible' });
  assert.match(await card.innerText(), /no punch on the device/);
  assert.match(await card.innerText(), /Reason: Forgot to clock out/);
  assert.match(await card.innerText(), new RegExp(`by ${ADMIN}`), 'who made it');
  await screenshot(page, 'admin-time-card-correction');
  // Move the clock-in: the original time is shown on hover beside the reason.
  await fixed.locator('details.punch-edit').first().locator('summary').click();
  const edit = fixed.locator('details.punch-edit').first().locator('form');
  await edit.getByLabel('New time').fill('07:30');
  await edit.getByLabel('Reason').fill('Started at 07:30, says the foreman');
  await edit.getByRole('button', { name: 'Move time' }).click();
  await page.getByText('Correction saved').waitFor();
  const moved = page.locator('tr.day', { hasText: 'Mon 16 Nov' });
  assert.match(await moved.locator('td.num').first().innerText(), /^7:30$/);
  await moved.getByRole('button', { name: /Moved by a correction: Clock in at 07:30/ }).hover();
  const movedCard = moved.locator('.correction-card').first();
  await movedCard.waitFor({ state: 'visible' });
  assert.match(await movedCard.innerText(), /was 07:00/);
  assert.match(await movedCard.innerText(), /Started at 07:30, says the foreman/);
  // An impossible move (the clock-in after the clock-out): the same form opens again with what
  // was typed, the refusal beside the time, in words; nothing changed.
  await moved.locator('details.punch-edit').first().locator('summary').click();
  const again = moved.locator('details.punch-edit').first().locator('form');
  await again.getByLabel('New time').fill('16:00');
  await again.getByLabel('Reason').fill('Typed by mistake');
  await again.getByRole('button', { name: 'Move time' }).click();
  const reopened = page.locator('details.punch-edit[open]');
  const error = reopened.locator('.field-error');
  await error.waitFor();
  assert.match(await error.innerText(), /^Would put the clock-in after its clock-out .*a shift cannot end before it starts\.$/);
  assert.equal(await reopened.getByLabel('New time').getAttribute('aria-invalid'), 'true');
  assert.equal(await reopened.getByLabel('New time').inputValue(), '16:00');
  assert.equal(await reopened.getByLabel('Reason').inputValue(), 'Typed by mistake');
  assert.match(await page.locator('tr.day', { hasText: 'Mon 16 Nov' }).locator('td.num').first().innerText(), /^7:30$/);
  await screenshot(page, 'admin-time-card-correction-refused');
  await context.close();
});

test('an admin invites a supervisor, who accepts the link and sees only the employees assigned to them', async () => {
  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/time-cards`);
  await page.getByText('Manage').click();
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByLabel('E-mail').fill('sue@acme.test');
  await page.getByLabel('Name (optional)').fill('Sue Park');
  await page.getByLabel('Role').selectOption('supervisor');
  await page.getByRole('button', { name: 'Invite' }).click();
  const link = await page.getByLabel('Invitation link').inputValue();
  assert.match(link, /\/admin\/invitations\/cfi_/);
  assert.match(await page.getByRole('status').innerText(), /Copy this link and send it to them/);
  await screenshot(page, 'admin-users-invited');
  await page.locator('tr', { hasText: 'sue@acme.test' }).getByRole('link', { name: 'Sue Park' }).click();
  await page.getByLabel('Ada Lovelace').check();
  await page.getByRole('button', { name: 'Save employees' }).click();
  await page.getByText('Employees saved').waitFor();
  await context.close();

  // Sue opens the link in her own browser, chooses a password and is signed in.
  const sue = await browser.newContext({ viewport: VIEWPORT });
  supervisor = { context: sue, page: await sue.newPage() };
  const mine = supervisor.page;
  await mine.goto(link);
  await mine.getByText('You are invited as a Supervisor').waitFor();
  await mine.getByLabel('Password (at least 10 characters)').fill('sue long password');
  await mine.getByLabel('The same password again').fill('sue long passw0rd');
  await mine.getByRole('button', { name: 'Set password and sign in' }).click();
  assert.match(await mine.getByText('the two passwords are not the same', { exact: false }).innerText(), /not the same/);
  await mine.getByLabel('Password (at least 10 characters)').fill('sue long password');
  await mine.getByLabel('The same password again').fill('sue long password');
  await mine.getByRole('button', { name: 'Set password and sign in' }).click();
  await mine.getByRole('heading', { name: 'Time Cards' }).waitFor();
  // Her menu has no Manage; her employee list is Ada alone.
  assert.equal(await mine.getByText('Manage').count(), 0);
  assert.deepEqual(await mine.locator('select[name="employee"] option').allInnerTexts(), ['Ada Lovelace']);
  await screenshot(mine, 'admin-supervisor-time-cards');
  // Admin pages refuse her, and someone else's card is not there.
  const roles = await mine.goto(`${server.url}/admin/roles`);
  assert.equal(roles.status(), 403);
  assert.match(await mine.locator('main').innerText(), /Only an admin can open this page; you are signed in as a supervisor/);
  const theirs = await mine.goto(`${server.url}/admin/time-cards?employee=${grace.id}&from=${WEEK}`);
  assert.equal(theirs.status(), 404);
  // The link worked once.
  const again = await browser.newContext();
  const used = await (await again.newPage()).goto(link);
  assert.equal(used.status(), 410);
  await again.close();
});

test('the supervisor approves the card and the admin the period; a correction is refused; a late offline punch shows as arrived after approval', async () => {
  const mine = supervisor.page;
  await mine.goto(`${server.url}/admin/payroll?date=${WEEK}`);
  const row = mine.locator('tr', { hasText: 'Ada Lovelace' });
  assert.match(await row.innerText(), /7:30/);
  assert.match(await row.innerText(), /Corrected \(2\)/);
  assert.equal(await mine.locator('tr', { hasText: 'Grace Hopper' }).count(), 0, 'only her employees are listed');
  assert.equal(await mine.getByRole('button', { name: 'Approve the period for payroll' }).count(), 0);
  await row.getByRole('button', { name: "Approve Ada Lovelace's card" }).click();
  await mine.getByText('Card approved').waitFor();
  await screenshot(mine, 'admin-supervisor-approved');

  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/payroll?date=${WEEK}`);
  await page.locator('tr', { hasText: 'Ada Lovelace' }).getByText('Approved', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Approve the period for payroll' }).click();
  // Ada's clock-in is flagged (made before the device was set up): the page lists her card, with
  // a link to it, and asks before approving anything.
  const question = page.locator('#confirm-approve');
  await question.getByRole('heading', { name: 'Approve the period with open flags?' }).waitFor();
  assert.match(await question.innerText(), /Ada Lovelace: 1 photo or punch to check/);
  assert.equal(
    await question.getByRole('link', { name: 'Ada Lovelace' }).getAttribute('href'),
    `/admin/time-cards?employee=${ada.id}&from=${WEEK}`,
  );
  assert.match(await page.locator('.period').innerText(), /Not approved for payroll yet/, 'asking approved nothing');
  await screenshot(page, 'admin-pay-period-open-flags');
  await question.getByRole('button', { name: 'Approve the period anyway' }).click();
  await page.getByText('Pay period approved for payroll').waitFor();
  // A card the period locked offers no Approve of its own; the footer adds up every row.
  const graceRow = page.locator('tr', { hasText: 'Grace Hopper' });
  await graceRow.getByText('Approved with the period').waitFor();
  assert.equal(await graceRow.getByRole('button', { name: /^Approve/ }).count(), 0);
  assert.match(await page.locator('tfoot td.total').innerText(), /^7:30$/);
  await screenshot(page, 'admin-pay-period');

  await page.goto(`${server.url}/admin/time-cards?employee=${ada.id}&from=${WEEK}`);
  await page.getByText(/corrections are locked until it is reopened/).waitFor();
  const monday = page.locator('tr.day', { hasText: 'Mon 16 Nov' });
  await monday.locator('details.punch-edit').first().locator('summary').click();
  const edit = monday.locator('details.punch-edit').first().locator('form');
  await edit.getByLabel('New time').fill('06:00');
  await edit.getByLabel('Reason').fill('trying after approval');
  await edit.getByRole('button', { name: 'Move time' }).click();
  const refusal = page.getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /approved for the pay period and locked; reopen it/);
  assert.match(await page.locator('tr.day', { hasText: 'Mon 16 Nov' }).locator('td.num').first().innerText(), /^7:30$/);

  // A device that was offline on Tuesday sends its punch now: it is kept, and marked.
  await punch('in', '2026-11-17T07:00:00-06:00');
  await page.goto(`${server.url}/admin/time-cards?employee=${ada.id}&from=${WEEK}`);
  const tuesday = page.locator('tr.day', { hasText: 'Tue 17 Nov' });
  await tuesday.getByText('Arrived after approval').waitFor();
  await screenshot(page, 'admin-time-card-late-punch');
  await page.goto(`${server.url}/admin/payroll?date=${WEEK}`);
  await page.locator('tr', { hasText: 'Ada Lovelace' }).getByText('Arrived after approval (1)').waitFor();
  // And the review queue lists it, with a link to the card.
  await page.goto(`${server.url}/admin/review`);
  const late = page.getByRole('region', { name: 'Arrived after approval' });
  assert.match(await late.innerText(), /Ada Lovelace — Clock in Tue 17 Nov 2026, 07:00/);
  await context.close();
});

const EXPECTED = {
  csv: ['employee_number,employee_name,date,regular_hours', '42,Ada Lovelace,2026-11-16,7.50,0.00,0.00,7.50,,'],
  adp_wfn: ['Co Code,Batch ID,File #,Reg Hours,O/T Hours', 'ABC,7261116,000042,7.50,0.00,,'],
  adp_run: ['##GENERIC## V1.0', '12345,W,11/16/2026,11/22/2026,42,REG,7.50,,0,,BASE'],
  paychex: ['CLIENT ID,WORKER ID,ORG,JOB NUMBER,PAY COMPONENT', '7001234,42,,,Hourly,,,7.50,,,,,,,,'],
  gusto: ['first_name,last_name,regular_hours', 'Ada,Lovelace,7.50,0.00,0.00'],
  quickbooks_iif: ['!TIMERHDR\tVER\tREL\tCOMPANYNAME', 'TIMEACT\t11/16/26\t\tLovelace, Ada\t\tRegular\t7:30\t\t\tY\t0'],
};

test('each export downloads as its payroll system reads it, and a second export is told of the first', async () => {
  const { context, page } = await signedIn();
  await page.goto(`${server.url}/admin/payroll?date=${WEEK}`);
  assert.equal(await page.getByText('Exported before').count(), 0);
  for (const [format, [first, line]] of Object.entries(EXPECTED)) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`button[data-format="${format}"]`).click()]);
    const text = readFileSync(await download.path(), 'utf8');
    const lines = text.split('\r\n');
    assert.ok(lines[0].startsWith(first), `${format}: ${lines[0]}`);
    assert.ok(lines.includes(line), `${format} has no line ${JSON.stringify(line)}:\n${text}`);
  }
  // The same file again from the same page: it says when it was made before, and asks.
  await page.locator('button[data-format="csv"]').click();
  const question = page.locator('#confirm-export');
  await question.getByRole('heading', { name: 'Export CSV (clockface)?' }).waitFor();
  assert.match(await question.innerText(), /This file was exported before on \w{3} \d+ \w{3} \d{4}, \d\d:\d\d \(may count the hours twice/);
  await screenshot(page, 'admin-pay-period-export-again');
  const [again] = await Promise.all([page.waitForEvent('download'), question.getByRole('button', { name: 'Export anyway' }).click()]);
  assert.ok(readFileSync(await again.path(), 'utf8').startsWith(EXPECTED.csv[0]));
  // A third click on the same page is a third file: asked again, now with both earlier times.
  await question.getByRole('button', { name: 'Export anyway' }).click();
  await page.locator('#confirm-export li', { hasText: /before on \w{3} \d+ \w{3} \d{4}, \d\d:\d\d, \w{3} \d+ \w{3} \d{4}, \d\d:\d\d \(may/ }).waitFor();
  await page.getByRole('link', { name: 'Cancel' }).click();
  const earlier = page.getByText(/Exported before/);
  await earlier.waitFor();
  assert.match(await earlier.innerText(), /QuickBooks Desktop/);
  assert.match(await earlier.innerText(), /CSV \(clockface\)/);
  await context.close();
});
