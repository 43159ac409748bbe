// Biometric privacy in real Chromium: the public retention policy read without signing in; an
// employee reads and signs the release on the clock, after which their photos are matched (the
// first one enrols, the next matches) and their punches carry the clock's WebCrypto signature;
// one who declines keeps clocking in with photos and gets no template; the audit viewer lists
// an admin's photo view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot } from '../lib/browser.mjs';
import { signedIn } from '../lib/admin.mjs';
import { ADMIN, eventually, ok, company, waitPunches, openClock, visible, button, register, enterPin, takePhoto, faceCameraForTests } from '../lib/clock.mjs';

const VERDICT_WAIT = 120_000;

const faceCamera = faceCameraForTests();

/** The punch's verdict, once the server gave it one. */
const verdictOf = (c, punch) =>
  eventually(async () => {
    const answer = await fetch(`${c.url}/api/v1/punches/${punch.id}/verification`, { headers: { authorization: `Bearer ${c.token}` } });
    return answer.status === 200 && answer.json();
  }, `the verdict of punch ${punch.id}`, VERDICT_WAIT);

const templates = async (c, employee) => (await ok(c.url, `/api/v1/employees/${employee.id}/enrolment`, c.token)).templates.length;

/** Clocks in or out with a photo from the fake camera and waits until it is sent. */
async function punchWithPhoto(page, label) {
  await button(page, label).click();
  await takePhoto(page);
  await visible(page, '#message', /with your photo\. Sent\./);
}

test('the policy is public, a signed release starts matching, and a decliner clocks in with no template', async (t) => {
  const c = await company(t);
  const policy = await ok(c.url, '/api/v1/privacy/policy', c.token, { method: 'PUT', body: { jurisdiction: 'illinois', photo_days: 90 } });
  const ann = await c.employee('Ann Field', c.roles.face.id, '2468');
  const dee = await c.employee('Dee Cline', c.roles.face.id, '1357');

  // Anyone can read the policy: a fresh context, no cookie, from the front page without an id.
  const { context: visitor, page: reader } = await openClock(faceCamera(), c);
  await reader.goto(c.url + '/');
  await reader.getByRole('link', { name: 'Biometric data policies' }).click();
  await reader.getByRole('heading', { name: 'Biometric data policies' }).waitFor();
  await reader.getByRole('listitem').getByRole('link').click();
  await reader.waitForURL((url) => url.pathname === policy.url);
  await reader.getByRole('heading', { name: 'Biometric data retention and destruction policy' }).waitFor();
  await reader.getByText(/version 1/).first().waitFor();
  await reader.getByText(/three years after their last time punch/).waitFor();
  await screenshot(reader, 'policy-public');
  await visitor.close();

  const { context, page } = await openClock(faceCamera(), c);
  await register(page, c);
  // The PIN screen links the company's policy, in the clock's language.
  await visible(page, '#pin-policy-link', 'Biometric data policy');
  assert.equal(await page.locator('#pin-policy-link').getAttribute('href'), `${policy.url}?lang=en`);
  // Ann signs the release after her PIN, then clocks in and out with photos.
  await enterPin(page, '2468');
  await visible(page, '#screen-release h1', 'Your face data');
  await visible(page, '#release-text', /three years after your last punch/);
  assert.equal(await page.locator('#release-policy').getAttribute('href'), policy.url);
  await screenshot(page, 'clock-release');
  await page.fill('#release-name', 'Ann Field');
  await button(page, 'Sign').click();
  await visible(page, '#status-name', 'Hello, Ann Field');
  await visible(page, '#message', /the release is signed/);
  const release = await ok(c.url, `/api/v1/employees/${ann.id}/release`, c.token);
  assert.equal(release.status, 'signed');
  assert.equal(release.release.signed_name, 'Ann Field');
  assert.ok(release.release.device_id, 'signed on the clock');

  await punchWithPhoto(page, 'Clock In');
  const [first] = await waitPunches(c, ann.id, 1);
  const enrolled = await verdictOf(c, first);
  assert.equal(enrolled.enrolled_now, true, 'the first photo after the release becomes her reference');
  await punchWithPhoto(page, 'Clock Out');
  const [, second] = await waitPunches(c, ann.id, 2);
  assert.equal((await verdictOf(c, second)).verdict, 'match');
  for (const punch of [first, second]) assert.deepEqual(punch.flags, [], 'signed by the clock and checked by the server');
  const [device] = await ok(c.url, '/api/v1/devices', c.token);
  assert.ok(device.signing_key, 'the clock registered its public key');

  // Dee declines; her photo is kept for a person and no template is made.
  await button(page, 'Done').click();
  await enterPin(page, '1357');
  await visible(page, '#screen-release h1', 'Your face data');
  await button(page, 'I do not agree').click();
  await visible(page, '#status-name', 'Hello, Dee Cline');
  await punchWithPhoto(page, 'Clock In');
  const [declined] = await waitPunches(c, dee.id, 1);
  assert.ok(declined.photo_url, 'the punch has its photo');
  const verdict = await verdictOf(c, declined);
  assert.equal(verdict.verdict, 'not_enrolled');
  assert.match(verdict.message, /declined/);
  assert.equal(await templates(c, dee), 0);
  assert.equal((await ok(c.url, `/api/v1/employees/${dee.id}/release`, c.token)).status, 'declined');
  await context.close();
});

test('the audit viewer lists a photo an admin looked at, filtered by kind and employee', async (t) => {
  const c = await company(t);
  await ok(c.url, '/api/v1/privacy/policy', c.token, { method: 'PUT', body: { jurisdiction: 'strictest', photo_days: 365 } });
  const ann = await c.employee('Ann Field', c.roles.face.id, '2468');
  const { context: phone, page: clock } = await openClock(faceCamera(), c);
  await register(clock, c);
  await enterPin(clock, '2468');
  await button(clock, 'Not now').click();
  await visible(clock, '#status-name', 'Hello, Ann Field');
  await punchWithPhoto(clock, 'Clock In');
  const [punch] = await waitPunches(c, ann.id, 1);
  await phone.close();

  const { context, page } = await signedIn(faceCamera(), c.url, ADMIN, { width: 1280, height: 900 });
  const photo = await page.goto(c.url + punch.photo_url.replace('/api/v1/photos/', '/admin/photos/'));
  assert.equal(photo.status(), 200);
  await page.goto(`${c.url}/admin/audit`);
  await page.getByLabel('Kind').fill('photo');
  await page.getByLabel('Employee').selectOption({ label: 'Ann Field' });
  await page.getByRole('button', { name: 'Filter' }).click();
  const row = page.locator('table.audit-log tbody tr', { hasText: 'photo.viewed' }).first();
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(ADMIN));
  assert.match(await row.innerText(), /Ann Field/);
  assert.equal(await page.locator('table.audit-log tbody tr', { hasText: 'release' }).count(), 0, 'only photo entries');
  await screenshot(page, 'admin-audit');
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  const csv = await (await download).createReadStream();
  let text = '';
  for await (const chunk of csv) text += chunk;
  assert.match(text, /^seq,at,actor,action,subject,employee_id,detail,hash/);
  assert.match(text, /photo\.viewed/);
  await context.close();
});
