// What the admin-page tests share: signing in through the form, and device times as a device writes them.
import { ADMIN_PASSWORD } from './server.mjs';

/** A fresh browser context signed in to the admin pages at `url` as `email` (`options` go to the context). */
export async function signedIn(browser, url, email, viewport, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  await page.goto(`${url}/admin`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return { context, page };
}

/** A device time `minutesAgo` minutes before now, in whole seconds, with the UTC offset written out. */
export function deviceTime(minutesAgo) {
  const at = new Date(Date.now() - minutesAgo * 60_000);
  at.setMilliseconds(0);
  return at.toISOString().replace('.000Z', '+00:00');
}
