// Accessibility, checked like the Rust: axe-core (WCAG 2.0 and 2.1, levels A and AA) on every
// admin page a signed-in admin can reach from the menu and the pages' own links, on the public
// pages (the front page, the sign-in form, the company's biometric policy) and on the mobile
// clock's screens, in the demo company (a week of punches with photos, a review waiting, jobs,
// corrections), at a desktop and a phone width. Every page must have zero violations; the count
// per page is printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, DEMO_ADMIN, api, apiLogin } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';
import { violations } from '../lib/axe.mjs';
import { PHONE, visible, button, enterPin } from '../lib/clock.mjs';

const DESKTOP = { width: 1280, height: 860 };
const PHONE_SIZE = PHONE.viewport;

let demo;
let browser;

before(async () => {
  demo = await startDemo();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});


/** A path with its ids and dates replaced, so that one page of each kind is checked. */
function kind(path) {
  return path
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ':id')
    .replace(/\d{4}-\d{2}-\d{2}/g, ':date')
    .replace(/\?.*$/, '');
}

/** Links of the page worth following: this server's pages, not downloads, photos or sign-out. */
async function pageLinks(page) {
  const hrefs = await page.$$eval('a[href]', (links) => links.map((a) => a.href));
  return hrefs
    .map((href) => new URL(href))
    .filter((u) => u.origin === new URL(demo.url).origin)
    .filter((u) => /^\/(admin|policy)\b/.test(u.pathname))
    .filter((u) => !/(sign-?out|logout|export|download|\.csv|\.zip|\.iif|\/photos?\/|\/scan)/.test(u.pathname + u.search))
    .map((u) => u.pathname + u.search);
}

/** Visits `start` and every page reachable from it (one of each kind), checking each. */
async function crawl(page, start, limit = 60) {
  const seen = new Set();
  const queue = [start];
  const report = [];
  while (queue.length > 0 && report.length < limit) {
    const path = queue.shift();
    if (seen.has(kind(path))) continue;
    seen.add(kind(path));
    const response = await page.goto(demo.url + path);
    if (!response || !(response.headers()['content-type'] ?? '').includes('text/html')) continue;
    report.push({ path, found: await violations(page) });
    for (const link of await pageLinks(page)) if (!seen.has(kind(link))) queue.push(link);
  }
  return report;
}

function summarise(report, viewport) {
  for (const { path, found } of report) console.log(`axe ${viewport}: ${found.length} violation(s) on ${path}`);
  return report.filter((r) => r.found.length > 0).map((r) => `${r.path}:\n  ${r.found.join('\n  ')}`);
}

async function signedIn(viewport) {
  // bypassCSP: the pages allow only their own scripts; axe is injected by the test.
  const context = await browser.newContext({ viewport, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${demo.url}/admin`);
  await page.getByLabel('E-mail').fill(DEMO_ADMIN.email);
  await page.getByLabel('Password').fill(DEMO_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return { context, page };
}

test('the public pages and the sign-in form have no WCAG 2.1 A or AA violations', async () => {
  const context = await browser.newContext({ viewport: DESKTOP, bypassCSP: true });
  const page = await context.newPage();
  const report = [];
  for (const path of ['/', '/admin', '/policy']) {
    await page.goto(demo.url + path);
    report.push({ path, found: await violations(page) });
  }
  const failing = summarise(report, 'desktop');
  await context.close();
  assert.deepEqual(failing, [], `axe found violations:\n${failing.join('\n')}`);
});

for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE_SIZE]]) {
  test(`every admin page and the public policy have no WCAG 2.1 A or AA violations (${name})`, async () => {
    const { context, page } = await signedIn(viewport);
    const report = await crawl(page, '/admin');
    assert.ok(report.length >= 15, `the crawl reached only ${report.map((r) => r.path).join(', ')}`);
    assert.ok(report.some((r) => r.path.startsWith('/policy/')), 'the public policy page was reached from the admin pages');
    const failing = summarise(report, name);
    await context.close();
    assert.deepEqual(failing, [], `axe found violations:\n${failing.join('\n')}`);
  });
}

test('the mobile clock\'s screens have no WCAG 2.1 A or AA violations', async () => {
  const token = await apiLogin(demo.url, DEMO_ADMIN.email, DEMO_ADMIN.password);
  const { body: code } = await api(demo.url, '/api/v1/devices/registration-codes', { method: 'POST', token, body: {} });
  const context = await browser.newContext({ ...PHONE, bypassCSP: true });
  const page = await context.newPage();
  const report = [];
  const check = async (screen) => report.push({ path: `/clock ${screen}`, found: await violations(page) });
  await page.goto(`${demo.url}/clock`);
  await visible(page, 'h1', 'Set up this device');
  await check('register');
  await page.fill('#register-code', code.code);
  await page.fill('#register-name', 'Site 4 phone');
  await button(page, 'Register device').click();
  await visible(page, 'h1', 'Enter your PIN');
  await visible(page, '#sync-status', /Synced today/);
  await page.locator('#keypad [data-key="4"]').click();
  await check('PIN, two digits typed');
  await page.locator('#keypad [data-key="back"]').click();
  await enterPin(page, '444444'); // Sam Lee
  await visible(page, '#screen-status h1', 'Sam Lee');
  await check('status');
  await button(page, 'Clock In').click();
  await visible(page, '#job-list button');
  await check('job choice');
  await page.locator('#job-list button').first().click();
  await visible(page, '#code-list button');
  await check('cost code choice');
  await page.locator('#code-list button').first().click();
  await visible(page, '#screen-status #status-line', /Clocked in/);
  await check('clocked in');
  await button(page, 'My time card').click();
  await visible(page, 'h1', 'My time card');
  await check('my time card');
  await button(page, 'Back').click();
  await button(page, 'Time off').click();
  await visible(page, 'h1', 'Ask for time off');
  await check('time off');
  await button(page, 'Back').click();
  await button(page, 'Done').click();
  await visible(page, 'h1', 'Enter your PIN');
  await page.locator('#settings-button').click();
  await visible(page, 'h1', 'Device settings');
  await check('settings');
  const failing = summarise(report, 'phone');
  await context.close();
  assert.deepEqual(failing, [], `axe found violations:\n${failing.join('\n')}`);
});
