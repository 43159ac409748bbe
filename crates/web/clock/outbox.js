// The outbox: every punch is written here first (with its photo and head-turn burst), then sent. It is sent in
// batches (POST /punches/batch) when the network is there: at once, on the `online` event, on
// each sync, and by a retry timer that backs off (5 s, 10 s, 20 s … at most 5 min). Time-off
// requests wait here too (`timeOff` instead of `punch`), each sent on its own after the punches
// (POST /device/time-off/requests) under the same rules.
//
// A punch leaves the device only when the server acknowledged it (its item answered 200 or 201).
// Resending is safe: the punch (or request) keeps its client_id and exact content, so the server
// answers the stored one instead of making a second one. A punch the server refused (4xx) stays here,
// marked with the server's message, until someone tries it again or removes it on purpose.
//
// A punch may be held (`holdUntil`): it is kept like any other but not sent before that time. The
// kiosk holds a punch while it offers "Not me" (kiosk.js), so that a wrong identification is taken
// back before it ever reaches the server; kept here, it survives the tablet being closed meanwhile.

import { call, errorMessage, Offline } from './api.js';
import { outbox } from './store.js';

const BATCH = 20;
const MIN_DELAY = 5_000;
const MAX_DELAY = 300_000;

const listeners = new Set();
let running = null;
let failures = 0;
let timer = null;
let tokenSource = async () => null;

/** Where the outbox gets the device token. */
export function configure({ token }) {
  tokenSource = token;
}

/** `listener(items)` after every change of the outbox. */
export function onChange(listener) {
  listeners.add(listener);
}

async function changed() {
  const all = await outbox.all();
  for (const listener of listeners) listener(all);
}

/**
 * Keeps a new punch (its `punch` body as the API takes it, its photo Blob or null, and its
 * head-turn burst Blob or null), not to be sent before `holdUntil` (ms since the epoch) when given.
 */
export async function add(punch, photo, label, burst = null, holdUntil = null) {
  const item = {
    client_id: punch.client_id,
    punch,
    photo: photo ?? null,
    burst: burst ?? null,
    label,
    queued_at: Date.now(),
    hold_until: holdUntil,
    state: 'waiting',
    error: null,
  };
  await outbox.put(item);
  await changed();
}

/** Keeps a time-off request (its body as the API takes it, with its client_id and sealed PIN). */
export async function addTimeOff(request, label) {
  const item = { client_id: request.client_id, timeOff: request, photo: null, burst: null, label, queued_at: Date.now(), state: 'waiting', error: null };
  await outbox.put(item);
  await changed();
}

/** Marks a refused punch to be sent again. */
export async function retry(clientId) {
  const item = (await outbox.all()).find((i) => i.client_id === clientId);
  if (item) await outbox.put({ ...item, state: 'waiting', error: null });
  await changed();
}

/** Removes a refused punch, on a person's explicit request. */
export async function remove(clientId) {
  await outbox.delete(clientId);
  await changed();
}

export const items = () => outbox.all();

/**
 * Sends what is waiting. Resolves with { sent, refused, waiting, error? }; never rejects.
 * Calls made while one is running share it.
 */
export function flush() {
  running ??= send().finally(() => (running = null));
  return running;
}

async function send() {
  const token = await tokenSource();
  let sent = 0;
  let refused = 0;
  let error = null;
  if (token) {
    const all = (await outbox.all()).filter(due);
    const waiting = all.filter((i) => i.punch);
    for (let start = 0; start < waiting.length && !error; start += BATCH) {
      const chunk = waiting.slice(start, start + BATCH);
      const form = new FormData();
      const punches = chunk.map((item, n) => ({
        ...item.punch,
        photo_part: item.photo ? `photo${n}` : undefined,
        burst_part: item.burst ? `burst${n}` : undefined,
      }));
      form.append('punches', new Blob([JSON.stringify({ punches })], { type: 'application/json' }), 'punches.json');
      chunk.forEach((item, n) => item.photo && form.append(`photo${n}`, item.photo, `photo${n}.jpg`));
      chunk.forEach((item, n) => item.burst && form.append(`burst${n}`, item.burst, `burst${n}.jpg`));
      let answer;
      try {
        answer = await call('/punches/batch', { token, form });
      } catch (e) {
        error = e instanceof Offline ? 'offline' : String(e);
        break;
      }
      if (answer.status !== 200) {
        error = errorMessage(answer);
        break;
      }
      for (const result of answer.body.results) {
        const item = chunk[result.index];
        if (!item) continue;
        if (result.status === 200 || result.status === 201) {
          await outbox.delete(item.client_id);
          sent += 1;
        } else if (result.status >= 400 && result.status < 500) {
          await outbox.put({ ...item, state: 'refused', error: { status: result.status, code: result.error?.code, message: result.error?.message } });
          refused += 1;
        }
        // A 5xx item stays waiting and goes again with the next try.
      }
    }
    for (const item of all.filter((i) => i.timeOff)) {
      if (error) break;
      let answer;
      try {
        answer = await call('/device/time-off/requests', { token, json: item.timeOff });
      } catch (e) {
        error = e instanceof Offline ? 'offline' : String(e);
        break;
      }
      if (answer.status === 200 || answer.status === 201) {
        await outbox.delete(item.client_id);
        sent += 1;
      } else if (answer.status >= 400 && answer.status < 500) {
        const refusal = answer.body?.error;
        await outbox.put({ ...item, state: 'refused', error: { status: answer.status, code: refusal?.code, message: refusal?.message, field: refusal?.field } });
        refused += 1;
      }
    }
    await changed();
  }
  const stored = await outbox.all();
  const left = stored.filter(due).length;
  const held = stored.filter((i) => i.state === 'waiting' && !due(i)).map((i) => i.hold_until);
  schedule(left > 0 && token !== null, error !== null, token !== null && held.length ? Math.min(...held) : null);
  return { sent, refused, waiting: left, error };
}

/** Whether an item is to be sent now: waiting, and not held. */
function due(item) {
  return item.state === 'waiting' && !(item.hold_until > Date.now());
}

/** The next try: backing off while sending fails, or when the first held punch may go. */
function schedule(more, failed, heldUntil) {
  clearTimeout(timer);
  timer = null;
  failures = failed ? failures + 1 : 0;
  const delays = [];
  if (more) delays.push(Math.min(MAX_DELAY, MIN_DELAY * 2 ** Math.max(0, failures - 1)));
  if (heldUntil !== null) delays.push(Math.max(0, heldUntil - Date.now()));
  if (delays.length) timer = setTimeout(() => flush(), Math.min(...delays));
}
