// The mobile clock in Spanish, in real Chromium with a Spanish browser (es-MX): the device
// registers, an employee enters their PIN, reads and signs the biometric release in Spanish
// (recorded as read in Spanish, with the hash of that exact text), clocks in and out with a
// FaceFront photo from the fake camera; the language is switched to English in Settings and back,
// and the choice outlasts a reload. The public policy page follows the browser's language.
// Functions passed to page.evaluate run in the page, where `document` exists.
/* global document */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { screenshot } from '../lib/browser.mjs';
import { signedIn } from '../lib/admin.mjs';
import { ADMIN, PHONE, ok, company, waitPunches, visible, button, enterPin, faceCameraForTests } from '../lib/clock.mjs';

const SPANISH = { ...PHONE, locale: 'es-MX' };

const faceCamera = faceCameraForTests();

const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);

/** Takes the photo on the (Spanish) camera screen and sends it. */
async function photo(page, title) {
  await visible(page, '#camera-title', title);
  await button(page, 'Tomar foto').click();
  await visible(page, '#camera-photo');
  const warned = await page.locator('#camera-warning').isVisible();
  await button(page, warned ? 'Enviar de todos modos' : 'Usar foto').click();
}

test('the whole clock in Spanish on a Spanish phone, the release signed in Spanish, and English chosen in Settings and back', async (t) => {
  const c = await company(t);
  const policy = await ok(c.url, '/api/v1/privacy/policy', c.token, { method: 'PUT', body: { jurisdiction: 'illinois', photo_days: 90 } });
  const ana = await c.employee('Ana Campo', c.roles.face.id, '2468');
  const job = await ok(c.url, '/api/v1/jobs', c.token, { method: 'POST', body: { number: 'J-9', name: 'Puente Norte' } });

  const context = await faceCamera().newContext(SPANISH);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(`${c.url}/clock`);

  // Registration, in Spanish because the browser is.
  await visible(page, 'h1', 'Configurar este dispositivo');
  assert.equal(await htmlLang(page), 'es');
  assert.equal(await page.title(), 'Reloj checador — clockface');
  await page.getByLabel('Código de registro').fill(await c.code());
  await page.getByLabel('Nombre de este dispositivo').fill('Teléfono de la obra 4');
  await screenshot(page, 'clock-es-register');
  await button(page, 'Registrar dispositivo').click();
  await visible(page, 'h1', 'Ingrese su PIN');
  await visible(page, '#sync-status', /^Sincronizado hoy a las /);
  await visible(page, '#pin-policy-link', 'Política de datos biométricos');
  assert.equal(await page.locator('#pin-policy-link').getAttribute('href'), `${policy.url}?lang=es`);

  // The release, in Spanish; signing records the Spanish text.
  await enterPin(page, '2468');
  await visible(page, '#screen-release h1', 'Los datos de su rostro');
  await visible(page, '#release-text', /tres años después de su última marcación/);
  assert.match(await page.locator('#release-text').textContent(), /^Acme Paving usa clockface para comprobar/);
  assert.equal(await page.locator('#release-policy').getAttribute('href'), `${policy.url}?lang=es`);
  await screenshot(page, 'clock-es-release');
  await page.getByLabel('Escriba su nombre completo para firmar').fill('Ana Campo');
  await button(page, 'Firmar').click();
  await visible(page, '#status-name', 'Hola, Ana Campo');
  await visible(page, '#message', 'Gracias: la autorización quedó firmada.');
  const shown = await page.locator('#release-text').textContent();

  const { release, notice } = await ok(c.url, `/api/v1/employees/${ana.id}/release`, c.token);
  assert.equal(release.decision, 'signed');
  assert.equal(release.signed_name, 'Ana Campo');
  assert.equal(release.language, 'es', 'read in Spanish');
  assert.equal(release.text, shown, 'the text kept is the one on screen');
  assert.equal(release.text_sha256, createHash('sha256').update(shown).digest('hex'));
  assert.equal(release.text_sha256, notice.texts.find((x) => x.language === 'es').text_sha256);
  assert.notEqual(release.text, notice.text, 'not the English one');

  // Clock in and out with a photo.
  await visible(page, '#status-line', 'Fuera de turno');
  await button(page, 'Marcar entrada').click();
  await visible(page, '#job-title', '¿En qué obra?');
  await page.locator('#job-list button', { hasText: 'Puente Norte' }).click();
  await photo(page, 'Marcar entrada: tómese la foto');
  await visible(page, '#message', /^Entrada marcada a las .* con su foto\. Ya se envió\.$/);
  await visible(page, '#status-line', /^En turno desde hoy a las /);
  // One time format on every screen of a language: the message and the status say the same time the same way.
  const saidAt = (await page.locator('#message').innerText()).match(/a las (.*) con su foto/)[1];
  assert.equal((await page.locator('#status-line').innerText()).match(/hoy a las (.*)$/m)[1], saidAt);
  await screenshot(page, 'clock-es-clocked-in');
  // A break, in Spanish: no photo for either end.
  await button(page, 'Iniciar descanso').click();
  await visible(page, '#message', /^Descanso iniciado a las .*\. Ya se envió\.$/);
  await visible(page, '#status-line', /^En descanso desde hoy a las /);
  await button(page, 'Terminar descanso').click();
  await visible(page, '#message', /^Descanso terminado a las .*\. Ya se envió\.$/);
  await visible(page, '#status-line', /^De vuelta del descanso desde hoy a las /);
  await button(page, 'Marcar salida').click();
  await photo(page, 'Marcar salida: tómese la foto');
  await visible(page, '#message', /^Salida marcada a las .* con su foto\. Ya se envió\.$/);
  const [clockIn, breakOut, breakIn, clockOut] = await waitPunches(c, ana.id, 4);
  assert.deepEqual([clockIn.kind, breakOut.kind, breakIn.kind, clockOut.kind], ['in', 'out', 'in', 'out']);
  assert.deepEqual([breakOut.on_break, breakIn.on_break], [true, true]);
  assert.equal(clockIn.job_id, job.id, 'the job picked in Spanish');
  assert.ok(clockIn.photo_url && clockOut.photo_url, 'the clock-in and clock-out have their photo');

  // English in Settings, on this Spanish phone; it stays English after a reload; then back.
  await button(page, 'Listo').click();
  await visible(page, 'h1', 'Ingrese su PIN');
  await page.locator('#settings-button').click();
  await visible(page, 'h1', 'Ajustes del dispositivo');
  assert.equal(await page.getByLabel('Español').isChecked(), true, 'Spanish, from the browser');
  await screenshot(page, 'clock-es-settings');
  await page.getByLabel('English').check();
  await visible(page, 'h1', 'Device settings');
  await visible(page, '#settings-device', /^Teléfono de la obra 4 · front camera found$/);
  assert.equal(await htmlLang(page), 'en');
  await button(page, 'Back').click();
  await visible(page, 'h1', 'Enter your PIN');
  await page.reload();
  await visible(page, 'h1', 'Enter your PIN');
  assert.equal(await htmlLang(page), 'en', 'the device keeps its choice over the browser language');
  await visible(page, '#sync-status', /^Synced today at /);
  await page.locator('#settings-button').click();
  await page.getByLabel('Español').check();
  await visible(page, 'h1', 'Ajustes del dispositivo');
  await button(page, 'Volver').click();
  await visible(page, 'h1', 'Ingrese su PIN');
  assert.equal(await htmlLang(page), 'es');
  await context.close();

  // The admin sees that the release was read in Spanish.
  const admin = await signedIn(faceCamera(), c.url, ADMIN);
  await admin.page.goto(`${c.url}/admin/employees/${ana.id}`);
  await admin.page.getByText(/Signed as “Ana Campo” on the clock, .* read in Spanish/).waitFor();
  await admin.context.close();
});

test('the public policy page follows the browser language, has a link to the other, and refuses an unknown one', async (t) => {
  const c = await company(t);
  const policy = await ok(c.url, '/api/v1/privacy/policy', c.token, { method: 'PUT', body: { jurisdiction: 'texas', photo_days: 30 } });
  assert.deepEqual(policy.texts.map((x) => x.language), ['en', 'es']);

  const context = await faceCamera().newContext(SPANISH);
  const page = await context.newPage();
  await page.goto(c.url + policy.url);
  await page.getByRole('heading', { name: 'Política de conservación y destrucción de datos biométricos' }).waitFor();
  assert.equal(await htmlLang(page), 'es');
  await page.getByText(/versión 1 · publicada el \d+ de [a-z]+ de \d{4}/).waitFor();
  await page.getByText(/dentro del año siguiente al fin de la relación laboral/).waitFor();
  await screenshot(page, 'policy-es');
  await page.getByRole('link', { name: 'Read in English' }).click();
  await page.getByRole('heading', { name: 'Biometric data retention and destruction policy' }).waitFor();
  assert.equal(await htmlLang(page), 'en');
  await page.getByRole('link', { name: 'Leer en español' }).click();
  await page.getByRole('heading', { name: 'Política de conservación y destrucción de datos biométricos' }).waitFor();
  await context.close();

  // Without a browser's say, English; ?lang= wins over Accept-Language; an unknown one is a 400.
  assert.match(await (await fetch(c.url + policy.url)).text(), /<html lang="en">/);
  const spanish = await fetch(`${c.url}${policy.url}?lang=es`, { headers: { 'accept-language': 'en-US' } });
  assert.match(await spanish.text(), /<html lang="es">/);
  assert.equal((await fetch(`${c.url}${policy.url}?lang=fr`)).status, 400);
});
