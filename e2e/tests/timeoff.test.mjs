// Time off in real Chromium (issue 29): a worker asks on a phone and sees the balance before and
// after before sending; a request asked offline reaches the server once the network is back,
// exactly once; the supervisor sees requests in the Time off list and the count in the menu,
// approves one and declines another with a note, which the worker reads on the clock after the
// next PIN (in Spanish too); an employee's time-off page shows the balance and its ledger, asks
// for them with a preview and takes an admin's adjustment; the holiday calendar adds a holiday
// that then shows on the time card. Each test starts its own server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, screenshot } from '../lib/browser.mjs';
import { api } from '../lib/server.mjs';
import { signedIn } from '../lib/admin.mjs';
import { ADMIN_PASSWORD } from '../lib/server.mjs';
import { PHONE, ADMIN, eventually, ok, company, openClock, visible, hidden, button, register, signIn, signInOffline } from '../lib/clock.mjs';

const DESKTOP = { width: 1280, height: 900 };
const ZONE = 'America/Chicago'; // the test company's

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** A day in the company's zone, `days` from today, as YYYY-MM-DD. */
function dayFromToday(days) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date(Date.now() + days * 86_400_000));
}

/** A Monday at least two weeks ahead, and `plus` days after it: working days nobody approved. */
function mondayAhead(plus = 0) {
  for (let d = 14; ; d += 1) {
    const day = dayFromToday(d);
    if (new Date(`${day}T12:00:00Z`).getUTCDay() === 1) return dayFromToday(d + plus);
  }
}

/**
 * A company whose Vacation keeps a balance (Ada brings 24 hours), with Ada and Grace, and Sue, a
 * supervisor to whom both are assigned, who signs in with the tests' password.
 */
async function timeOffCompany(t) {
  const c = await company(t);
  const ada = await c.employee('Ada Lovelace', c.roles.plain.id, '1357');
  const grace = await c.employee('Grace Hopper', c.roles.plain.id, '2468');
  const types = await ok(c.url, '/api/v1/time-off/types', c.token);
  const vacation = types.find((type) => type.name === 'Vacation');
  await ok(c.url, `/api/v1/time-off/types/${vacation.id}`, c.token, {
    method: 'PUT',
    body: { kind: 'vacation', name: 'Vacation', paid: true, codes: vacation.codes, policy: { method: { method: 'none' }, allow_negative: false } },
  });
  await ok(c.url, `/api/v1/employees/${ada.id}/time-off/adjustments`, c.token, {
    method: 'POST',
    body: { type_id: vacation.id, kind: 'starting', hours: '24', reason: 'carried over from paper' },
  });
  const invited = await ok(c.url, '/api/v1/users', c.token, { method: 'POST', body: { email: 'sue@acme.test', name: 'Sue Park', role: 'supervisor' } });
  const token = invited.invitation_url.split('/').pop();
  const accepted = await api(c.url, '/api/v1/invitations/accept', {
    method: 'POST',
    body: { token, name: 'Sue Park', password: ADMIN_PASSWORD, password_again: ADMIN_PASSWORD },
  });
  assert.equal(accepted.status, 204);
  const assigned = await api(c.url, `/api/v1/users/${invited.user.id}/employees`, { method: 'PUT', token: c.token, body: { employee_ids: [ada.id, grace.id] } });
  assert.equal(assigned.status, 204);
  return { ...c, ada, grace, vacation };
}

/** The employee's requests as the server has them. */
const requestsOf = (c, employee) => ok(c.url, `/api/v1/employees/${employee.id}/time-off`, c.token);

/** On the clock: Time off, the form filled for whole days `first` to `last` of `type`. */
async function fillRequest(page, { type = 'Vacation', first, last = '', hours = '', note = '' }) {
  await button(page, 'Time off').click();
  await visible(page, 'h1', 'Ask for time off');
  await page.locator('#timeoff-type').selectOption({ label: type });
  await page.fill('#timeoff-first', first);
  if (hours) {
    await page.locator('#timeoff-partial').check();
    await page.fill('#timeoff-hours', hours);
  } else if (last) {
    await page.fill('#timeoff-last', last);
  }
  await page.fill('#timeoff-note', note);
}

test('a worker asks on a phone, the supervisor approves one and declines another, and the worker reads both answers on the clock', async (t) => {
  const c = await timeOffCompany(t);
  const { context, page } = await openClock(browser, c);
  await register(page, c);
  await signIn(page, '1357', 'Ada Lovelace');

  // The balance before and after is shown before the request can be sent.
  await fillRequest(page, { first: mondayAhead(), last: mondayAhead(1), note: 'family visit' });
  await button(page, 'Check my balance').click();
  await visible(page, '#timeoff-preview', 'Your balance: 24:00 h now, 8:00 h after.');
  assert.match(await page.locator('#timeoff-preview').innerText(), /This request takes 16:00 h/);
  await screenshot(page, 'clock-time-off');
  assert.equal((await requestsOf(c, c.ada)).length, 0, 'checking the balance asks nothing');
  await button(page, 'Send request').click();
  await visible(page, '#message', 'Request sent');
  await visible(page, '#timeoff-list', 'Waiting for an answer');
  // A second one, part of a day: asked too.
  await button(page, 'Back').click();
  await fillRequest(page, { first: mondayAhead(9), hours: '4', note: 'dentist' });
  await button(page, 'Check my balance').click();
  await visible(page, '#timeoff-preview', 'This request takes 4:00 h.');
  await button(page, 'Send request').click();
  await visible(page, '#message', 'Request sent');
  assert.equal((await requestsOf(c, c.ada)).length, 2);
  await button(page, 'Back').click();
  await button(page, 'Done').click();

  // Sue sees both, and the count in her menu.
  const sue = await signedIn(browser, c.url, 'sue@acme.test', DESKTOP);
  await sue.page.goto(`${c.url}/admin/time-cards`);
  const menu = sue.page.getByRole('link', { name: /^Time off/ });
  assert.match(await menu.innerText(), /Time off\s*2/);
  await menu.click();
  await sue.page.getByRole('heading', { name: 'Waiting for an answer (2)' }).waitFor();
  const visit = sue.page.locator('section.time-off-request', { hasText: 'family visit' });
  assert.match(await visit.innerText(), /Vacation balance: 24\.00 h before, 8\.00 h after \(this request takes 16\.00 h\)/);
  await screenshot(sue.page, 'admin-time-off');
  await visit.getByLabel(/Note to the employee/).fill('enjoy');
  await visit.getByRole('button', { name: 'Approve' }).click();
  await sue.page.getByText("Approved Ada Lovelace's time off").waitFor();
  assert.match(await sue.page.getByRole('link', { name: /^Time off/ }).innerText(), /Time off\s*1/);

  // Declining says why: without a note it is refused beside the note, and nothing changes.
  const dentist = sue.page.locator('section.time-off-request', { hasText: 'dentist' });
  await dentist.getByRole('button', { name: 'Decline' }).click();
  const note = sue.page.locator('section.time-off-request', { hasText: 'dentist' }).getByLabel(/Note to the employee/);
  assert.equal(await note.getAttribute('aria-invalid'), 'true');
  await sue.page.locator('section.time-off-request', { hasText: 'dentist' }).locator('.field-error').waitFor();
  assert.equal((await requestsOf(c, c.ada)).filter((r) => r.status === 'requested').length, 1);
  await note.fill('short-handed that week');
  await sue.page.locator('section.time-off-request', { hasText: 'dentist' }).getByRole('button', { name: 'Decline' }).click();
  await sue.page.getByText("Declined Ada Lovelace's request").waitFor();
  await sue.page.getByText('No request is waiting for an answer.').waitFor();
  assert.match(await sue.page.locator('table', { hasText: 'Answer' }).innerText(), /Declined by sue@acme\.test .*short-handed that week/);
  await sue.context.close();

  // At her next PIN the clock tells Ada of both answers, with the notes; then not again.
  await signIn(page, '1357', 'Ada Lovelace');
  await visible(page, '#message', 'Your time off was declined');
  const told = await page.locator('#message').innerText();
  assert.match(told, /Your time off was approved: Vacation, .* – .*\. Note: “enjoy”/);
  assert.match(told, /Your time off was declined: Vacation, .*\(4:00 h\)\. Note: “short-handed that week”/);
  await button(page, 'Time off').click();
  await visible(page, '#timeoff-list', 'Declined');
  assert.match(await page.locator('#timeoff-list').innerText(), /Declined\s*Note: “short-handed that week”/);
  await button(page, 'Back').click();
  await button(page, 'Done').click();
  await signIn(page, '1357', 'Ada Lovelace');
  await button(page, 'Time off').click();
  await visible(page, '#timeoff-list', 'Approved');
  assert.doesNotMatch(await page.locator('#message').innerText(), /Your time off was/, 'an answer is told once');
  await context.close();
});

test('a request asked offline reaches the server when the network is back, exactly once', async (t) => {
  const c = await timeOffCompany(t);
  const { context, page } = await openClock(browser, c);
  await register(page, c);
  // Signing in online once lets Grace sign in offline later, and brings the company's types.
  await signIn(page, '2468', 'Grace Hopper');
  await button(page, 'Done').click();
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));

  await context.setOffline(true);
  await visible(page, '#network', 'Offline');
  await signInOffline(page, '2468', 'Grace Hopper');
  await fillRequest(page, { type: 'Sick', first: mondayAhead(2), note: 'surgery' });
  await visible(page, '#timeoff-list', 'Your requests and their answers show when you sign in with a network.');
  await button(page, 'Send request').click();
  await visible(page, '#message', 'Request kept on this phone');
  await visible(page, '#timeoff-list', 'Kept on this phone');
  await visible(page, '#queue-badge', 'Waiting to send (1)');
  await page.reload();
  await visible(page, '#queue-badge', 'Waiting to send (1)');
  assert.equal((await requestsOf(c, c.grace)).length, 0, 'nothing reached the server while offline');

  await context.setOffline(false);
  await hidden(page, '#queue-badge');
  const arrived = await eventually(async () => {
    const list = await requestsOf(c, c.grace);
    return list.length > 0 && list;
  }, 'the request on the server');
  await button(page, 'Sync').click();
  await visible(page, '#message', /^Synced/);
  const again = await requestsOf(c, c.grace);
  assert.equal(again.length, 1, 'it arrived exactly once');
  assert.equal(again[0].id, arrived[0].id);
  assert.equal(again[0].type_name, 'Sick');
  assert.equal(again[0].note, 'surgery');
  assert.deepEqual(again[0].history.map((e) => e.by), [{ who: 'employee', id: c.grace.id }], 'asked by Grace herself');
  await context.close();
});

test('a role that may not ask for time off shows no Time off button on the clock', async (t) => {
  const c = await company(t);
  const office = await ok(c.url, '/api/v1/roles', c.token, { method: 'POST', body: { name: 'Office', abilities: { ask_time_off: false } } });
  await c.employee('Bo Rivera', office.id, '8642');
  await c.employee('Cy Field', c.roles.plain.id, '9753');
  const { context, page } = await openClock(browser, c);
  await register(page, c);
  await signIn(page, '8642', 'Bo Rivera');
  assert.equal(await button(page, 'Time off').isVisible(), false, 'no button for a role without it');
  await button(page, 'Done').click();
  await signIn(page, '9753', 'Cy Field');
  assert.equal(await button(page, 'Time off').isVisible(), true, 'a role is allowed by default');
  await context.close();
});

test('the clock asks for time off in Spanish and tells the answer in Spanish', async (t) => {
  const c = await timeOffCompany(t);
  const asked = await ok(c.url, '/api/v1/time-off/requests', c.token, {
    method: 'POST',
    body: { employee_id: c.ada.id, type_id: c.vacation.id, first: mondayAhead() },
  });
  await ok(c.url, `/api/v1/time-off/requests/${asked.request.id}/decline`, c.token, { method: 'POST', body: { note: 'inventario' } });
  const context = await browser.newContext({ ...PHONE, locale: 'es-MX' });
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${c.url}/clock`);
  await visible(page, 'h1', 'Configurar este dispositivo');
  await page.fill('#register-code', await c.code());
  await page.fill('#register-name', 'Teléfono');
  await page.locator('#register-form button[type=submit]').click();
  await visible(page, '#screen-pin');
  for (const digit of '1357') await page.locator(`#keypad [data-key="${digit}"]`).click();
  await page.locator('#keypad [data-key="ok"]').click();
  await visible(page, '#message', 'Sus días libres fueron rechazados');
  assert.match(await page.locator('#message').innerText(), /Nota: «inventario»/);
  await button(page, 'Días libres').click();
  await visible(page, 'h1', 'Pedir días libres');
  await visible(page, '#timeoff-list', 'Rechazada');
  assert.equal(await button(page, 'Ver mi saldo').isVisible(), true);
  assert.match(await page.locator('#screen-timeoff').innerText(), /Primer día[\s\S]*Nota para su supervisor/);
  await screenshot(page, 'clock-time-off-es');
});

test("an employee's time-off page shows the balance and its ledger, asks with a preview and takes an admin's adjustment", async (t) => {
  const c = await timeOffCompany(t);
  const { context, page } = await signedIn(browser, c.url, ADMIN, DESKTOP);
  await page.goto(`${c.url}/admin/employees/${c.ada.id}`);
  await page.getByRole('link', { name: 'Time off and balances' }).click();
  await page.getByRole('heading', { name: 'Time off: Ada Lovelace' }).waitFor();
  const vacation = page.locator('section.time-off-balance-panel', { hasText: 'Vacation' });
  assert.match(await vacation.locator('h3').innerText(), /Vacation: 24\.00 h/);
  assert.match(await vacation.locator('table').innerText(), /Starting balance\s+24\.00 h\s+24\.00 h\s+.*carried over from paper.*admin@acme\.test/);

  // Asked from the office, with the balance shown first.
  const ask = page.locator('#ask');
  await ask.getByLabel('Type').selectOption({ label: 'Vacation' });
  await ask.getByLabel('First day').fill(mondayAhead());
  await ask.getByRole('button', { name: 'Show the balance' }).click();
  await page.locator('#ask .time-off-preview').waitFor();
  assert.match(await page.locator('#ask .time-off-preview').innerText(), /Vacation balance: 24\.00 h before, 16\.00 h after/);
  assert.equal((await requestsOf(c, c.ada)).length, 0, 'showing the balance asks nothing');
  await page.locator('#ask').getByRole('button', { name: 'Ask', exact: true }).click();
  await page.getByText('Asked. The request waits for an answer').waitFor();
  assert.equal((await requestsOf(c, c.ada)).length, 1);
  // More than the balance: refused beside the field, nothing asked.
  await page.locator('#ask').getByLabel('Type').selectOption({ label: 'Vacation' });
  await page.locator('#ask').getByLabel('First day').fill(mondayAhead(7));
  await page.locator('#ask input[name=last]').fill(mondayAhead(11));
  await page.locator('#ask').getByRole('button', { name: 'Ask', exact: true }).click();
  assert.match(await page.locator('#ask .field-error').first().innerText(), /may not go below zero/);
  assert.equal((await requestsOf(c, c.ada)).length, 1);

  // An adjustment needs its reason; with it, a new line in the ledger.
  const adjust = page.locator('#adjust');
  await adjust.getByLabel('Type').selectOption({ label: 'Vacation' });
  await adjust.getByLabel(/Adjustment/).check();
  await adjust.getByLabel('Hours (e.g. 40, 4.5, -8)').fill('-4');
  await adjust.getByRole('button', { name: 'Add the line' }).click();
  assert.equal(await page.locator('#adjust').getByLabel('Reason').getAttribute('aria-invalid'), 'true');
  await page.locator('#adjust').getByLabel('Reason').fill('typed twice');
  await page.locator('#adjust').getByRole('button', { name: 'Add the line' }).click();
  await page.getByText('Saved: a new line in the ledger').waitFor();
  const adjusted = page.locator('section.time-off-balance-panel', { hasText: 'Vacation' });
  assert.match(await adjusted.locator('h3').innerText(), /Vacation: 20\.00 h/);
  assert.match(await adjusted.locator('table').innerText(), /Adjustment\s+-4\.00 h\s+20\.00 h\s+.*typed twice \(admin@acme\.test\)/);
  await screenshot(page, 'admin-employee-time-off');
  await context.close();
});

test('the holiday calendar adds a holiday, which shows on the time card, and removes it', async (t) => {
  const c = await company(t);
  const ann = await c.employee('Ann Field', c.roles.plain.id, '2468');
  const { context, page } = await signedIn(browser, c.url, ADMIN, DESKTOP);
  await page.goto(`${c.url}/admin/time-off`);
  await page.getByRole('link', { name: 'Company holidays' }).click();
  const today = dayFromToday(0);
  await page.getByRole('heading', { name: `Company holidays ${today.slice(0, 4)}` }).waitFor();
  // More hours than a day has is refused beside the hours, and nothing is added.
  await page.getByLabel('Day', { exact: true }).fill(today);
  await page.getByLabel('Name').fill('Founders Day');
  await page.getByLabel('Paid hours').fill('30');
  await page.getByRole('button', { name: 'Add the holiday' }).click();
  assert.match(await page.locator('.field-error').innerText(), /more than a day has/);
  assert.equal(await page.getByLabel('Paid hours').getAttribute('aria-invalid'), 'true');
  await page.getByText('No holidays in this year yet.').waitFor();
  await page.getByLabel('Paid hours').fill('8');
  await page.getByRole('button', { name: 'Add the holiday' }).click();
  await page.getByText('Saved. Time cards show').waitFor();
  assert.match(await page.locator('table').innerText(), /Founders Day\s+8\.00 h/);
  await screenshot(page, 'admin-holidays');

  await page.goto(`${c.url}/admin/time-cards?employee=${ann.id}&from=${today}`);
  const line = page.locator('tr.time-off-line');
  assert.match(await line.innerText(), /Holiday: Founders Day\s+8:00\s+paid time off/);
  assert.match(await page.locator('tfoot').innerText(), /Holiday, paid time off \(not in the hours above\)\s+8:00/);

  await page.goto(`${c.url}/admin/time-off/holidays`);
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Remove Founders Day' }).click();
  await page.getByText('No holidays in this year yet.').waitFor();
  await page.goto(`${c.url}/admin/time-cards?employee=${ann.id}&from=${today}`);
  assert.equal(await page.locator('tr.time-off-line').count(), 0, 'removed, it leaves the card');
  await context.close();
});
