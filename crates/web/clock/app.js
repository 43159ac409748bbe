// The mobile clock: register the device, sync, sign an employee in by PIN, clock in or out
// (with a FaceFront photo when their role asks for it), Clock For a crew, and keep working with
// no network. Every punch goes through the outbox (outbox.js), online or not; so does a request
// for time off (timeoff.js).
//
// Offline sign-in: an employee may sign in with no network if they signed in online on this
// device before. At each online sign-in the device keeps the answer (name, role, crew, status),
// never the PIN nor anything derived from it: a shared tablet's storage must not let anyone test
// PINs. Offline, the clock cannot tell a right PIN from a wrong one, so after the PIN it asks who
// is signing in, and each punch of that sign-in carries the PIN sealed to the server's key
// (pinseal.js); the server judges it when the punch arrives, under the same counts as online, and
// a wrong one sends the punch to review. Whether FaceFront applies is decided from the last
// synced roles.

import { call, errorMessage, Offline } from './api.js';
import * as i18n from './i18n.js';
import { t, tn } from './i18n.js';
import * as camera from './camera.js';
import * as mycard from './mycard.js';
import * as geo from './geo.js';
import * as headturn from './headturn.js';
import * as jobs from './jobs.js';
import * as kiosk from './kiosk.js';
import * as queue from './outbox.js';
import { sealPin } from './pinseal.js';
import * as signing from './signing.js';
import * as timeoff from './timeoff.js';
import { kv } from './store.js';
import { $, clockTime, deviceTime, element, punchLabel, statusAfter, when } from './util.js';

const SYNC_EVERY = 5 * 60_000;
const IDLE_SIGN_OUT = 90_000;

const state = {
  token: null,
  device: null,
  sync: null, // the last sync answer
  syncedAt: null,
  rotation: 0,
  language: null, // chosen in Settings; null: the browser's
  hasCamera: false,
  cameraMissing: false, // getUserMedia found no camera although one was listed
  signIns: {}, // employee id -> { result, status: { clockedIn, since } }
  // { employee, role, faceFront, crew, clockedIn, since, card, offlinePin, pin, timeOff, previewed }: `pin` is the PIN
  // of an online sign-in, kept in memory for this session's time-off calls only, never stored.
  session: null,
  offlinePin: null, // while the "who are you" screen shows: the PIN typed
  release: null, // while the release screen shows: { notice, pin, employeeId, then }
  pin: '',
  busy: false,
};

const SCREENS = ['loading', 'register', 'pin', 'who', 'release', 'status', 'job', 'camera', 'crew', 'card', 'timeoff', 'settings', 'kiosk'];
/** The screens a signed-in employee stays on until idle. */
const SESSION_SCREENS = ['status', 'crew', 'card', 'timeoff'];
let idleTimer = null;

function show(name) {
  if (name !== 'kiosk') kiosk.stop();
  for (const screen of SCREENS) $(`screen-${screen}`).hidden = screen !== name;
  const registered = state.token !== null;
  $('sync-button').hidden = !registered;
  $('settings-button').hidden = !registered || name === 'settings' || name === 'camera';
  if (!SESSION_SCREENS.includes(name)) clearTimeout(idleTimer);
}

function message(text, kind = 'ok') {
  const box = $('message');
  box.textContent = text ?? '';
  box.hidden = !text;
  box.className = `message ${kind === 'error' ? 'error' : ''}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

// ---------------------------------------------------------------- start

async function start() {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js', { scope: './' }).catch((e) => console.warn('service worker', e));
  }
  const saved = await kv.get('device');
  state.token = saved?.token ?? null;
  state.device = saved?.device ?? null;
  const lastSync = await kv.get('sync');
  state.sync = lastSync?.answer ?? null;
  state.syncedAt = lastSync?.at ?? null;
  const settings = (await kv.get('settings')) ?? {};
  state.rotation = settings.rotation ?? 0;
  state.language = settings.language ?? null;
  i18n.setLanguage(state.language ?? i18n.fromBrowser());
  state.hasCamera = settings.hasCamera ?? false;
  state.cameraMissing = settings.cameraMissing ?? false;
  state.signIns = await forgetPinHashes((await kv.get('sign-ins')) ?? {});

  queue.configure({ token: async () => state.token });
  queue.onChange(renderQueue);
  wire();
  kiosk.configure({ state, show, message, pinInstead });
  renderNetwork();
  renderSyncStatus();
  await renderQueue(await queue.items());

  // Every 30 s: sync when the last one is 5 minutes old (sync does nothing before registration).
  setInterval(() => {
    if (navigator.onLine && (!state.syncedAt || Date.now() - state.syncedAt >= SYNC_EVERY)) sync();
  }, 30_000);
  if (!state.token) {
    show('register');
    return;
  }
  home();
  sync();
}

/** Where the clock waits for the next worker: the kiosk's camera in kiosk mode, else the PIN pad. */
function home() {
  if (kiosk.on(state)) kiosk.show();
  else showPin();
}

/** The kiosk could not (or must not) name the worker: the PIN pad, saying why. */
function pinInstead(text) {
  showPin();
  if (text) message(text);
}

function wire() {
  window.addEventListener('online', () => {
    renderNetwork();
    sync();
  });
  window.addEventListener('offline', renderNetwork);
  $('sync-button').addEventListener('click', () => sync({ byHand: true }));
  $('settings-button').addEventListener('click', showSettings);
  $('queue-badge').addEventListener('click', showSettings);
  $('register-form').addEventListener('submit', (event) => {
    event.preventDefault();
    register();
  });
  $('keypad').addEventListener('click', (event) => {
    const key = event.target.closest('button')?.dataset.key;
    if (key) press(key);
  });
  document.addEventListener('keydown', (event) => {
    if ($('screen-pin').hidden) return;
    if (/^[0-9]$/.test(event.key)) press(event.key);
    else if (event.key === 'Backspace') press('back');
    else if (event.key === 'Enter') press('ok');
  });
  $('punch-button').addEventListener('click', () => punchSelf());
  $('change-job-button').addEventListener('click', () => changeJob());
  $('break-button').addEventListener('click', () => punchBreak('out'));
  $('release-form').addEventListener('submit', (event) => {
    event.preventDefault();
    answerRelease('signed');
  });
  $('release-decline').addEventListener('click', () => answerRelease('declined'));
  $('release-later').addEventListener('click', () => answerRelease(null));
  $('done-button').addEventListener('click', signOut);
  $('crew-button').addEventListener('click', showCrew);
  $('crew-back').addEventListener('click', () => showStatus());
  $('who-cancel').addEventListener('click', () => {
    state.offlinePin = null;
    showPin();
  });
  $('card-button').addEventListener('click', showCard);
  $('card-back').addEventListener('click', () => showStatus());
  $('timeoff-button').addEventListener('click', showTimeOff);
  $('timeoff-back').addEventListener('click', () => showStatus());
  $('timeoff-form').addEventListener('input', timeOffChanged);
  $('timeoff-form').addEventListener('change', timeOffChanged);
  $('timeoff-form').addEventListener('submit', (event) => {
    event.preventDefault();
    askTimeOff();
  });
  $('crew-in').addEventListener('click', () => punchCrew('in'));
  $('crew-out').addEventListener('click', () => punchCrew('out'));
  $('settings-back').addEventListener('click', () => (state.session ? showStatus() : home()));
  $('pin-kiosk').addEventListener('click', () => {
    message(null);
    kiosk.show();
  });
  $('rotation-choices').addEventListener('change', (event) => setRotation(Number(event.target.value)));
  $('language-choices').addEventListener('change', (event) => setLanguage(event.target.value));
  $('rotation-test').addEventListener('click', testPhoto);
  for (const name of ['click', 'keydown', 'touchstart']) document.addEventListener(name, armIdle, { passive: true });
}

function renderNetwork() {
  $('network').hidden = navigator.onLine;
}

// ---------------------------------------------------------------- registration and sync

async function register() {
  const code = $('register-code').value.trim().toUpperCase();
  const name = $('register-name').value.trim();
  message(null);
  const hasCamera = await camera.hasFrontCamera();
  let answer;
  try {
    answer = await call('/device/register', { json: { code, name, has_front_camera: hasCamera } });
  } catch (e) {
    if (e instanceof Offline) return message(t('register.offline'), 'error');
    throw e;
  }
  if (answer.status !== 201) return message(errorMessage(answer), 'error');
  state.token = answer.body.token;
  state.device = answer.body.device;
  state.hasCamera = hasCamera;
  await kv.set('device', { token: state.token, device: state.device });
  await saveSettings();
  await signing.forgetKey();
  message(t('register.done', { name: state.device.name }));
  await sync();
  showPin();
}

/** Brings roles, employees, crews and settings, reports the camera and rotation, then sends the outbox. */
async function sync({ byHand = false } = {}) {
  if (!state.token) return;
  $('sync-button').disabled = true;
  try {
    state.hasCamera = !state.cameraMissing && (await camera.hasFrontCamera());
    const answer = await call('/device/sync', {
      token: state.token,
      json: { has_front_camera: state.hasCamera, photo_rotation: state.rotation },
    });
    if (answer.status === 200) {
      const wasKiosk = kiosk.on(state);
      state.sync = answer.body;
      state.device = answer.body.device;
      state.syncedAt = Date.now();
      await kv.set('sync', { answer: state.sync, at: state.syncedAt });
      await kv.set('device', { token: state.token, device: state.device });
      await saveSettings();
      // An admin turned kiosk mode on or off: the next worker meets the new one.
      if (kiosk.on(state) !== wasKiosk && !state.session && (!$('screen-pin').hidden || !$('screen-kiosk').hidden)) home();
    } else if (answer.status === 401) {
      message(t('sync.again', { error: errorMessage(answer) }), 'error');
      state.token = null;
      await kv.delete('device');
      show('register');
      return;
    } else if (byHand) {
      message(t('sync.failed', { error: errorMessage(answer) }), 'error');
    }
    // Punches queued before this device had a key go first, unsigned, as the server still expects
    // them; the key is made and registered after, and signs every punch from then on.
    const sent = await queue.flush();
    if (answer.status === 200) await signing.ensureKey(state.token);
    if (byHand) {
      if (sent.error && sent.error !== 'offline') message(t('sync.sending_failed', { error: sent.error }), 'error');
      else if (answer.status === 200) message(sent.sent ? tn('sync.done_sent', sent.sent) : t('sync.done'));
    }
  } catch (e) {
    if (!(e instanceof Offline)) throw e;
    if (byHand) message(t('sync.offline'), 'error');
  } finally {
    $('sync-button').disabled = false;
    renderSyncStatus();
  }
}

function renderSyncStatus() {
  $('company').textContent = state.sync?.company_name ?? t('bar.time_clock');
  $('company').title = $('company').textContent;
  $('sync-status').textContent = state.syncedAt ? t('bar.synced', { when: when(state.syncedAt) }) : t('bar.not_synced');
}

async function saveSettings() {
  await kv.set('settings', {
    rotation: state.rotation,
    hasCamera: state.hasCamera,
    cameraMissing: state.cameraMissing,
    language: state.language,
  });
}

// ---------------------------------------------------------------- PIN sign-in

function showPin() {
  state.session = null;
  state.offlinePin = null;
  state.pin = '';
  renderPin();
  // The company's public biometric data policy, once it has published one, in the clock's language.
  const policy = state.sync?.policy_url;
  $('pin-policy').hidden = !policy;
  if (policy) $('pin-policy-link').href = `${policy}?lang=${i18n.language()}`;
  $('pin-kiosk').hidden = !kiosk.on(state);
  show('pin');
}

function renderPin() {
  const dots = $('pin-dots');
  dots.replaceChildren(...[...state.pin].map(() => element('span')));
  dots.setAttribute('aria-label', tn('pin.digits', state.pin.length));
}

function press(key) {
  if (state.busy) return;
  if (key === 'back') state.pin = state.pin.slice(0, -1);
  else if (key === 'ok') {
    if (state.pin.length > 0) signIn(state.pin);
    return;
  } else if (state.pin.length < 8) state.pin += key;
  renderPin();
}

async function signIn(pin) {
  state.busy = true;
  message(null);
  try {
    let answer = null;
    if (navigator.onLine) {
      try {
        answer = await call('/device/sign-in', { token: state.token, json: { pin } });
      } catch (e) {
        if (!(e instanceof Offline)) throw e;
      }
    }
    if (answer === null) return await signInOffline(pin);
    if (answer.status !== 200) {
      message(errorMessage(answer), 'error');
      return;
    }
    const result = answer.body;
    const id = result.employee.id;
    const serverSince = result.last_punch?.occurred_at ?? null;
    const back = result.last_punch?.kind === 'in' && Boolean(result.last_punch?.on_break);
    const job = result.clocked_in ? (result.shift_job ?? null) : null;
    let status = { clockedIn: result.clocked_in, onBreak: Boolean(result.on_break), back, since: serverSince, job };
    // Punches still waiting on this device are newer than what the server knows.
    const mine = (await queue.items()).filter((i) => i.punch?.employee_id === id && i.state === 'waiting');
    status = mine.reduce((before, item) => statusAfter(item.punch, before), status);
    state.signIns[id] = { result, status };
    await kv.set('sign-ins', state.signIns);
    const begin = () => {
      startSession(result, result.face_front, status);
      state.session.pin = pin;
      tellTimeOffAnswers();
    };
    if (result.release) showRelease(result.release, pin, id, begin);
    else begin();
  } finally {
    state.busy = false;
    state.pin = '';
    renderPin();
  }
}

/**
 * Drops what clocks before this one kept to check PINs offline (a PBKDF2 hash of each PIN and its
 * salt): nothing on the device may let a PIN be tested. Returns the sign-ins without them.
 */
async function forgetPinHashes(signIns) {
  let changed = false;
  for (const kept of Object.values(signIns)) {
    if ('pinHash' in kept) {
      delete kept.pinHash;
      changed = true;
    }
  }
  if (changed) await kv.set('sign-ins', signIns);
  await kv.delete('pin-salt');
  await kv.delete('local-lock');
  return signIns;
}

/** No network: who is signing in? The PIN is not checked here but sealed with each punch. */
async function signInOffline(pin) {
  const known = Object.values(state.signIns);
  if (!state.sync?.pin_seal_key) return message(t('pin.offline_needs_sync'), 'error');
  if (known.length === 0) return message(t('pin.offline_nobody'), 'error');
  state.offlinePin = pin;
  const list = $('who-list');
  list.replaceChildren(
    ...known
      .map((kept) => kept.result.employee)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((employee) => {
        const button = element('button', { text: employee.name, attrs: { type: 'button' } });
        button.addEventListener('click', () => offlineSession(employee.id));
        return button;
      }),
  );
  show('who');
}

function offlineSession(id) {
  const known = state.signIns[id];
  const pin = state.offlinePin;
  state.offlinePin = null;
  if (!known || pin === null) return showPin();
  // FaceFront as the last sync says (the device cannot know of a change made since).
  const employee = state.sync?.employees?.find((e) => e.id === id) ?? known.result.employee;
  const role = state.sync?.roles?.find((r) => r.id === employee.role_id) ?? known.result.role;
  const faceFront = Boolean(role?.abilities?.face_front && (state.sync?.device ?? state.device)?.has_front_camera);
  startSession({ ...known.result, employee, role }, faceFront, known.status);
  state.session.offlinePin = pin;
  message(t('pin.offline_signed_in'));
}

/** A punch of an offline sign-in carries its PIN, sealed for the server and for this punch only. */
async function sealFor(punch) {
  const pin = state.session?.offlinePin;
  if (pin && state.sync?.pin_seal_key) punch.sealed_pin = await sealPin(state.sync.pin_seal_key, pin, punch.client_id);
}

// ---------------------------------------------------------------- the biometric release

/**
 * Shows the release to read in the device's language, then `then()` whatever they answer
 * (answering never blocks a punch). The answer names the language and the hash of the text shown,
 * so the server records exactly what was read.
 */
function showRelease(notice, pin, employeeId, then) {
  const shown = notice.texts?.find((text) => text.language === i18n.language()) ??
    notice.texts?.find((text) => text.language === 'en') ?? { language: 'en', text: notice.text, policy_url: notice.policy_url };
  state.release = { notice, shown, pin, employeeId, then };
  $('release-text').textContent = shown.text;
  $('release-text').lang = shown.language;
  $('release-text').scrollTop = 0;
  $('release-policy').href = shown.policy_url;
  $('release-name').value = '';
  nameError(null);
  // Asked again after their face data was deleted on request: say so, never silently.
  const withdrawn = $('release-withdrawn');
  withdrawn.hidden = !notice.withdrawn_on;
  withdrawn.textContent = notice.withdrawn_on ? t('release.asked_again', { date: when(notice.withdrawn_on) }) : '';
  message(null);
  show('release');
}

/** The typed name's error, beside the field (none: hidden). */
function nameError(text) {
  const error = $('release-name-error');
  error.hidden = !text;
  error.textContent = text ?? '';
  if (text) $('release-name').setAttribute('aria-invalid', 'true');
  else $('release-name').removeAttribute('aria-invalid');
}

async function answerRelease(decision) {
  const r = state.release;
  if (!r || state.busy) return;
  if (decision === null) return leaveRelease(null);
  const body = {
    pin: r.pin,
    employee_id: r.employeeId,
    decision,
    release_version: r.notice.release_version,
    language: r.shown.language,
    text_sha256: r.shown.text_sha256,
  };
  if (decision === 'signed') body.signed_name = $('release-name').value;
  state.busy = true;
  try {
    const answer = await call('/device/release', { token: state.token, json: body });
    if (answer.status === 200) {
      return leaveRelease(decision === 'signed' ? t('release.signed') : t('release.declined'));
    }
    const error = answer.body?.error;
    if (error?.code === 'signature_name_mismatch') {
      nameError(t('release.wrong_name', { name: error.details?.name ?? '' }));
      $('release-name').focus();
      return;
    }
    if (error?.field === 'signed_name') return nameError(errorMessage(answer));
    message(errorMessage(answer), 'error');
  } catch (e) {
    if (!(e instanceof Offline)) throw e;
    leaveRelease(t('release.offline'));
  } finally {
    state.busy = false;
  }
}

function leaveRelease(said) {
  const then = state.release?.then;
  state.release = null;
  then?.();
  if (said) message(said);
}

function startSession(result, faceFront, status) {
  state.session = {
    employee: result.employee,
    role: result.role,
    // A kiosk takes a photo with every punch of a PIN sign-in (the way back when the face was not
    // identified, and offline): someone checks who typed the PIN.
    faceFront: faceFront || (kiosk.on(state) && state.hasCamera),
    crew: result.role?.abilities?.clock_for ? (result.crew ?? []) : [],
    clockedIn: status.clockedIn,
    onBreak: Boolean(status.onBreak),
    back: Boolean(status.back),
    since: status.since,
    job: status.job ?? null,
    // The server's count at the last online sign-in (kept for offline ones).
    card: result.role?.abilities?.view_own_time_card ? (result.own_time_card ?? null) : undefined,
  };
  showStatus();
}

function signOut() {
  message(null);
  home();
}

function armIdle() {
  clearTimeout(idleTimer);
  if (state.session && SESSION_SCREENS.some((name) => !$(`screen-${name}`).hidden)) {
    idleTimer = setTimeout(() => {
      message(null);
      home();
    }, IDLE_SIGN_OUT);
  }
}

// ---------------------------------------------------------------- status and punching

function showStatus() {
  const s = state.session;
  $('status-name').textContent = t('status.hello', { name: s.employee.name });
  $('status-line').textContent = statusLine(s);
  const job = s.clockedIn ? jobLine(s.job) : null;
  $('status-job').hidden = !job;
  $('status-job').textContent = job ?? '';
  // On a break the one way on is End break (then Clock Out, if the day is over).
  const button = $('punch-button');
  button.textContent = t(s.onBreak ? 'status.end_break' : s.clockedIn ? 'status.clock_out' : 'status.clock_in');
  button.className = `punch ${s.clockedIn && !s.onBreak ? 'out' : 'in'}`;
  $('break-button').hidden = !s.clockedIn || s.onBreak;
  $('crew-button').hidden = s.crew.length === 0;
  $('card-button').hidden = s.card === undefined;
  $('timeoff-button').hidden = !timeoff.allowed(s.role);
  $('change-job-button').hidden = !s.clockedIn || s.onBreak || (state.sync?.jobs ?? []).length === 0;
  show('status');
  armIdle();
}

/** The shift's job and cost code in words, as the last sync names them; null when there is none. */
function jobLine(picked) {
  const job = (state.sync?.jobs ?? []).find((j) => j.id === picked?.job_id);
  if (!job) return null;
  const code = (state.sync?.cost_codes ?? []).find((c) => c.id === picked.cost_code_id);
  const named = `${job.number} ${job.name}`;
  return code ? t('status.job_code', { job: named, code: `${code.number} ${code.name}` }) : t('status.job', { job: named });
}

/** Where the employee stands, in words: on a break, back from one, clocked in or out, since when. */
function statusLine(s) {
  if (!s.since) return t(s.onBreak ? 'status.break_earlier' : s.back ? 'status.back_earlier' : s.clockedIn ? 'status.in_earlier' : 'status.out');
  const key = s.onBreak ? 'status.break_since' : s.back ? 'status.back_since' : s.clockedIn ? 'status.in_since' : 'status.out_since';
  return t(key, { when: when(s.since) });
}

async function punchSelf() {
  if (state.busy) return;
  const s = state.session;
  if (s.onBreak) return punchBreak('in');
  const kind = s.clockedIn ? 'out' : 'in';
  const pressed = new Date(); // the punch's time: when the button was pressed
  const punch = {
    client_id: crypto.randomUUID(),
    employee_id: s.employee.id,
    kind,
    device_time: deviceTime(pressed),
    settings_version: state.sync?.settings_version,
  };
  if (kind === 'in') {
    const picked = await jobs.pick(state.sync, s.employee.id, show);
    if (picked === null) return showStatus(); // cancelled: no punch
    Object.assign(punch, picked);
  }
  if (s.role?.abilities?.record_gps) Object.assign(punch, await geo.locate());
  let photo = null;
  let burst = null;
  let turn = null;
  let cameraChanged = false;
  if (s.faceFront) {
    const taken = await takePhoto(kind);
    if (taken === null) return showStatus(); // cancelled: no punch
    if (taken.photo) {
      photo = taken.photo;
      punch.photo_rotation = state.rotation;
      burst = withBurst(punch, taken.turn);
      turn = taken.turn;
    } else if (taken.reason === 'denied') {
      punch.no_photo_reason = 'camera_denied';
    } else {
      // getUserMedia found no camera: report it (sync) before the punch goes, so that the
      // server records "no front camera" instead of asking for the photo.
      state.hasCamera = false;
      state.cameraMissing = true;
      await saveSettings();
      cameraChanged = true;
    }
  }
  state.busy = true;
  try {
    punch.signature = await signing.sign(punch, photo, burst);
    await sealFor(punch);
    await queue.add(punch, photo, s.employee.name, burst);
    await jobs.remember(s.employee.id, punch.job_id);
    await standAfter(punch);
    const key = { in: photo ? 'punch.clocked_in_at_photo' : 'punch.clocked_in_at', out: photo ? 'punch.clocked_out_at_photo' : 'punch.clocked_out_at' }[kind];
    const done = t(key, { time: clockTime(pressed) }) + turnNote(turn);
    await sendAndSay(done, punch.client_id, cameraChanged ? sync : null);
  } finally {
    state.busy = false;
  }
}

// Change job: one tap clocks out of the current job and into the picked one at the same instant
// (two punches with the same device time; the time card puts the clock-out first). A FaceFront
// role takes one photo, carried by both.
async function changeJob() {
  if (state.busy) return;
  const s = state.session;
  const pressed = new Date();
  const picked = await jobs.pick(state.sync, s.employee.id, show, t('job.change_to'));
  if (picked === null) return showStatus();
  const at = deviceTime(pressed);
  const base = { employee_id: s.employee.id, device_time: at, settings_version: state.sync?.settings_version };
  const out = { ...base, client_id: crypto.randomUUID(), kind: 'out' };
  const into = { ...base, client_id: crypto.randomUUID(), kind: 'in', ...picked };
  if (s.role?.abilities?.record_gps) {
    const where = await geo.locate();
    Object.assign(out, where);
    Object.assign(into, where);
  }
  let photo = null;
  let bursts = [null, null];
  let turn = null;
  if (s.faceFront) {
    const taken = await takePhoto('in');
    if (taken === null) return showStatus();
    if (taken.photo) {
      photo = taken.photo;
      out.photo_rotation = state.rotation;
      into.photo_rotation = state.rotation;
      bursts = [withBurst(out, taken.turn), withBurst(into, taken.turn)];
      turn = taken.turn;
    } else if (taken.reason === 'denied') {
      out.no_photo_reason = 'camera_denied';
      into.no_photo_reason = 'camera_denied';
    }
  }
  state.busy = true;
  try {
    for (const [punch, burst] of [[out, bursts[0]], [into, bursts[1]]]) {
      punch.signature = await signing.sign(punch, photo, burst);
      await sealFor(punch);
      await queue.add(punch, photo, s.employee.name, burst);
    }
    await jobs.remember(s.employee.id, into.job_id);
    s.punched = [...(s.punched ?? []), out];
    await standAfter(into);
    const name = (state.sync?.jobs ?? []).find((job) => job.id === into.job_id)?.name ?? t('punch.the_new_job');
    const done = t('punch.changed_to', { job: name, time: clockTime(pressed) }) + turnNote(turn);
    await sendAndSay(done, into.client_id);
  } finally {
    state.busy = false;
  }
}

/** Keeps where the signed-in employee stands after `punch` (for offline sign-ins too) and shows it. */
async function standAfter(punch) {
  const s = state.session;
  const after = statusAfter(punch, s);
  Object.assign(s, after);
  s.punched = [...(s.punched ?? []), punch];
  state.signIns[s.employee.id] = { ...(state.signIns[s.employee.id] ?? { result: s }), status: after };
  await kv.set('sign-ins', state.signIns);
  showStatus();
}

// Start break (a clock-out marked on_break) and End break (a clock-in marked on_break): no photo
// and no job to pick (the break belongs to the shift and its job); a position when the role
// records GPS. Paid or not is the company's payroll setting, decided on the server.
async function punchBreak(kind) {
  if (state.busy) return;
  const s = state.session;
  const pressed = new Date();
  const punch = {
    client_id: crypto.randomUUID(),
    employee_id: s.employee.id,
    kind,
    on_break: true,
    device_time: deviceTime(pressed),
    settings_version: state.sync?.settings_version,
  };
  state.busy = true;
  try {
    if (s.role?.abilities?.record_gps) Object.assign(punch, await geo.locate());
    punch.signature = await signing.sign(punch, null);
    await sealFor(punch);
    await queue.add(punch, null, s.employee.name);
    await standAfter(punch);
    const done = t(kind === 'out' ? 'punch.break_started_at' : 'punch.break_ended_at', { time: clockTime(pressed) });
    await sendAndSay(done, punch.client_id);
  } finally {
    state.busy = false;
  }
}

/** Says `done`, sends what waits (after `first`, if given), then says whether the punch `clientId` reached the server. */
async function sendAndSay(done, clientId, first = null) {
  message(t('punch.saving', { done }));
  if (first) await first();
  const result = await queue.flush();
  message(sentText(done, clientId, result), (await refusedIds()).has(clientId) ? 'error' : 'ok');
}

async function refusedIds() {
  return new Set((await queue.items()).filter((i) => i.state === 'refused').map((i) => i.client_id));
}

function sentText(done, clientId, result) {
  if (result.error === 'offline' || result.waiting > 0) return t('punch.kept', { done });
  if (result.refused > 0) return t('punch.refused', { done });
  return t('punch.sent', { done });
}

/** Adds the head-turn burst `turn` (from the camera screen) to `punch`: the burst Blob, or null. */
function withBurst(punch, turn) {
  if (!turn) return null;
  punch.burst = { prompt: turn.prompt, frames: headturn.FRAMES };
  return turn.blob;
}

/** A sentence to add after the punch's when its head turn was not seen (the server judges it again). */
function turnNote(turn) {
  return turn?.failed ? ` ${t('turn.failed_sent')}` : '';
}

/** The camera screen: resolves { photo, turn } when taken, { reason } when it cannot open, null when cancelled. */
async function takePhoto(kind) {
  const video = $('camera-video');
  const img = $('camera-photo');
  $('camera-title').textContent = t(kind === 'in' ? 'camera.title_in' : 'camera.title_out');
  const reset = () => {
    video.hidden = false;
    img.hidden = true;
    $('camera-warning').hidden = true;
    $('camera-take').hidden = false;
    $('camera-use').hidden = true;
    $('camera-retake').hidden = true;
    $('camera-cancel').hidden = false;
    $('camera-turn').hidden = true;
  };
  reset();
  $('camera-take').disabled = true;
  message(null);
  show('camera');
  let stream;
  try {
    stream = await camera.open(video);
  } catch (e) {
    if (!(e instanceof camera.CameraError)) throw e;
    if (e.reason === 'denied') message(t('camera.denied_punch'), 'error');
    return { reason: e.reason };
  }
  $('camera-take').disabled = false;
  return new Promise((resolve) => {
    let shot = null;
    const handlers = {
      'camera-take': async () => {
        shot = await camera.capture(video);
        img.src = shot.url;
        img.hidden = false;
        video.hidden = true;
        $('camera-take').hidden = true;
        $('camera-retake').hidden = false;
        $('camera-use').hidden = false;
        $('camera-use').textContent = shot.checks.length ? t('camera.send_anyway') : t('camera.use');
        $('camera-warning').textContent = shot.checks.map((key) => t(key)).join(' ');
        $('camera-warning').hidden = shot.checks.length === 0;
      },
      'camera-retake': () => reset(),
      'camera-use': async () => finish({ photo: shot.blob, turn: await headTurn(video, shot.blob) }),
      'camera-cancel': () => finish(null),
    };
    const listeners = Object.entries(handlers).map(([id, fn]) => {
      $(id).addEventListener('click', fn);
      return () => $(id).removeEventListener('click', fn);
    });
    function finish(value) {
      listeners.forEach((off) => off());
      camera.stop(stream);
      video.srcObject = null;
      resolve(value);
    }
  });
}

/** The prompt for each direction, and the prompt when the first turn was not seen. */
const TURN_PROMPTS = { left: 'turn.left', right: 'turn.right' };
const TURN_AGAIN = { left: 'turn.again_left', right: 'turn.again_right' };

/**
 * The head turn, when the worker's role asks for one (always, or when the server is unsure of the
 * photo, or cannot be asked): the prompt, the burst, and once more the other way when the role
 * says so and the server did not see the turn. Resolves { blob, prompt, failed } or null (none asked).
 */
async function headTurn(video, photo) {
  const s = state.session;
  const how = headturn.mode(s.role);
  if (!how) return null;
  for (const id of ['camera-take', 'camera-use', 'camera-retake', 'camera-cancel']) $(id).hidden = true;
  $('camera-warning').hidden = true;
  $('camera-photo').hidden = true;
  video.hidden = false;
  const text = $('camera-turn-text');
  const progress = $('camera-turn-progress');
  $('camera-turn').hidden = false;
  if (how === 'when_unsure') {
    text.textContent = t('turn.checking');
    const advice = await headturn.ask(state.token, s.employee.id, { photo });
    // No answer (offline): the head turn is asked for, and judged when the punch arrives.
    if (advice && !(advice.checked && advice.ask_head_turn)) return null;
  }
  let prompt = headturn.randomPrompt();
  const take = async (key) => {
    text.textContent = t(key);
    progress.value = 0;
    return headturn.takeBurst(video, state.rotation, (n) => (progress.value = n));
  };
  let blob = await take(TURN_PROMPTS[prompt]);
  text.textContent = t('turn.checking');
  let answer = await headturn.ask(state.token, s.employee.id, { burst: blob, prompt });
  if (answer?.checked && answer.passed === false && s.role.abilities.liveness_retry) {
    prompt = headturn.otherWay(prompt);
    blob = await take(TURN_AGAIN[prompt]);
    text.textContent = t('turn.checking');
    answer = await headturn.ask(state.token, s.employee.id, { burst: blob, prompt });
  }
  return { blob, prompt, failed: answer?.checked === true && answer.passed === false };
}

// ---------------------------------------------------------------- time off

/** After an online sign-in: reads their time off, and tells them of answers they have not seen. */
async function tellTimeOffAnswers() {
  const s = state.session;
  if (!timeoff.allowed(s.role)) return;
  const known = await timeoff.mine(state.token, s);
  if (!known || state.session !== s) return;
  s.timeOff = known;
  const news = await timeoff.newAnswers(s.employee.id, known.requests);
  if (news.length > 0) message(news.join(' '));
}

async function showTimeOff() {
  const s = state.session;
  message(null);
  await timeoff.renderForm(s.timeOff);
  await timeoff.renderList(s, s.timeOff ?? null);
  timeOffChanged();
  show('timeoff');
  armIdle();
}

/** Online, a request is sent only once its balance was shown for what the form says now. */
function timeOffChanged(event) {
  const s = state.session;
  if (event?.target?.id === 'timeoff-partial') timeoff.showPartial();
  if (event) $('timeoff-preview').hidden = true;
  s.previewed = false;
  $('timeoff-send').textContent = t(navigator.onLine ? 'timeoff.check' : 'timeoff.send');
}

/** Shows the balance first (online), then keeps and sends the request through the outbox. */
async function askTimeOff() {
  const s = state.session;
  if (state.busy) return;
  state.busy = true;
  try {
    if (navigator.onLine && !s.previewed) {
      s.previewed = await timeoff.preview(state.token, state.sync?.pin_seal_key, s);
      if (s.previewed) $('timeoff-send').textContent = t('timeoff.send');
      else if (!navigator.onLine) $('timeoff-send').textContent = t('timeoff.send');
      return;
    }
    const kept = await timeoff.send(state.sync?.pin_seal_key, s);
    if (!kept) return message(t('timeoff.cannot_keep'), 'error');
    const refused = (await queue.items()).find((i) => i.client_id === kept.clientId && i.state === 'refused');
    if (refused) {
      // Refused at once: nothing was asked; the form stays as typed, the refusal beside its field.
      await queue.remove(kept.clientId);
      timeoff.showError({ status: refused.error.status, body: { error: refused.error } });
      timeOffChanged();
      return;
    }
    const sent = !(await queue.items()).some((i) => i.client_id === kept.clientId);
    s.timeOff = (await timeoff.mine(state.token, s)) ?? s.timeOff;
    await timeoff.renderForm(s.timeOff);
    await timeoff.renderList(s, s.timeOff ?? null);
    timeOffChanged();
    message(t(sent ? 'timeoff.sent' : 'timeoff.kept'));
  } finally {
    state.busy = false;
  }
}

// ---------------------------------------------------------------- Clock For

async function showCard() {
  const s = state.session;
  const items = await queue.items();
  const waiting = items.filter((i) => i.punch?.employee_id === s.employee.id && i.state === 'waiting');
  // What this session punched and the server took: on the card from the next sign-in.
  const kept = new Set(items.map((i) => i.client_id));
  const sent = (s.punched ?? []).filter((punch) => !kept.has(punch.client_id));
  mycard.render($('card-view'), s.card, waiting, sent);
  show('card');
  armIdle();
}

function showCrew() {
  const list = $('crew-list');
  list.replaceChildren(
    ...state.session.crew.map((member) =>
      element('label', {}, [element('input', { attrs: { type: 'checkbox', value: member.id } }), element('span', { text: member.name })]),
    ),
  );
  message(null);
  show('crew');
  armIdle();
}

async function punchCrew(kind) {
  if (state.busy) return;
  const chosen = [...$('crew-list').querySelectorAll('input:checked')].map((input) => input.value);
  if (chosen.length === 0) return message(t('crew.pick_first'), 'error');
  const pressed = new Date();
  const foreman = state.session.employee;
  let picked = {};
  if (kind === 'in') {
    picked = await jobs.pick(state.sync, foreman.id, show, t('job.for_crew'));
    show('crew');
    if (picked === null) return;
  }
  state.busy = true;
  try {
    // The crew stands where the foreman's device is: one fix for all of them, carried by the
    // punches of those whose role records GPS (as the last sync says).
    const recordsGps = (id) => {
      const employee = state.sync?.employees?.find((e) => e.id === id);
      return Boolean(state.sync?.roles?.find((r) => r.id === employee?.role_id)?.abilities?.record_gps);
    };
    const where = chosen.some(recordsGps) ? await geo.locate() : {};
    for (const id of chosen) {
      const member = state.session.crew.find((m) => m.id === id);
      const punch = {
        client_id: crypto.randomUUID(),
        employee_id: id,
        kind,
        device_time: deviceTime(pressed),
        clock_for_by: foreman.id,
        settings_version: state.sync?.settings_version,
        ...picked,
        ...(recordsGps(id) ? where : {}),
      };
      punch.signature = await signing.sign(punch, null);
      await sealFor(punch);
      await queue.add(punch, null, t('crew.by', { name: member?.name ?? id, foreman: foreman.name }));
    }
    await jobs.remember(foreman.id, picked.job_id);
    const done = tn(kind === 'in' ? 'crew.clocked_in' : 'crew.clocked_out', chosen.length, { time: clockTime(pressed) });
    $('crew-list').querySelectorAll('input:checked').forEach((input) => (input.checked = false));
    message(t('punch.saving', { done }));
    const result = await queue.flush();
    message(sentText(done, null, result), result.refused ? 'error' : 'ok');
  } finally {
    state.busy = false;
  }
}

// ---------------------------------------------------------------- queue

async function renderQueue(items) {
  const waiting = items.filter((i) => i.state === 'waiting').length;
  const refused = items.filter((i) => i.state === 'refused').length;
  const badge = $('queue-badge');
  const parts = [];
  if (waiting) parts.push(t('bar.waiting', { n: waiting }));
  if (refused) parts.push(t('bar.refused', { n: refused }));
  badge.textContent = parts.join(' · ');
  badge.hidden = parts.length === 0;
  const list = $('queue-list');
  if (items.length === 0) {
    list.replaceChildren();
    return;
  }
  list.replaceChildren(
    element('h2', { text: t('queue.title') }),
    ...items.map((item) => {
      const what = item.timeOff
        ? `${t('timeoff.queue_item')} — ${item.label ?? ''} — ${item.timeOff.first}`
        : `${punchLabel(item.punch)} — ${item.label ?? ''} — ${when(item.punch.device_time)}`;
      const children = [element('strong', { text: what })];
      if (item.state === 'refused') {
        const why = item.error ? errorMessage({ status: item.error.status, body: { error: item.error } }) : t('queue.by_server');
        children.push(element('span', { text: t('queue.refused', { error: why }) }));
        const again = element('button', { text: t('queue.try_again'), attrs: { type: 'button' } });
        again.addEventListener('click', async () => {
          await queue.retry(item.client_id);
          sync();
        });
        const drop = element('button', { text: t('queue.remove'), attrs: { type: 'button' } });
        drop.addEventListener('click', async () => {
          if (confirm(t('queue.remove_confirm'))) await queue.remove(item.client_id);
        });
        children.push(element('div', { className: 'row' }, [again, drop]));
      } else {
        children.push(element('span', { text: item.photo ? t('queue.waiting_photo') : t('queue.waiting') }));
      }
      return element('div', { className: `queue-item ${item.state}` }, children);
    }),
  );
}

// ---------------------------------------------------------------- settings

function showSettings() {
  const device = state.sync?.device ?? state.device;
  $('settings-device').textContent = t('settings.device', {
    name: device?.name ?? t('settings.this_device'),
    camera: state.hasCamera ? t('settings.camera_found') : t('settings.no_camera'),
  });
  for (const input of document.querySelectorAll('input[name=rotation]')) input.checked = Number(input.value) === state.rotation;
  for (const input of document.querySelectorAll('input[name=language]')) input.checked = input.value === i18n.language();
  renderRotation();
  message(null);
  show('settings');
}

/** The device's language, chosen here: kept with its settings, and every word on screen follows. */
async function setLanguage(lang) {
  state.language = lang;
  i18n.setLanguage(lang);
  await saveSettings();
  renderSyncStatus();
  await renderQueue(await queue.items());
  showSettings();
}

async function setRotation(degrees) {
  state.rotation = degrees;
  await saveSettings();
  renderRotation();
  sync();
}

function renderRotation() {
  $('rotation-preview').style.transform = `rotate(${state.rotation}deg)`;
}

async function testPhoto() {
  const video = document.createElement('video');
  let stream;
  try {
    stream = await camera.open(video);
  } catch (e) {
    message(e.reason === 'denied' ? t('camera.denied') : t('camera.missing'), 'error');
    return;
  }
  try {
    const shot = await camera.capture(video);
    if (state.cameraMissing) {
      state.cameraMissing = false; // it works again: the next sync reports it
      await saveSettings();
    }
    $('rotation-preview').src = shot.url;
    $('rotation-preview').hidden = false;
    $('rotation-empty').hidden = true;
    renderRotation();
  } finally {
    camera.stop(stream);
  }
}

// The page's words at once in the browser's language; start() switches to the device's choice.
i18n.setLanguage(i18n.fromBrowser());
start().catch((error) => {
  console.error(error);
  message(t('app.could_not_start', { error: error.message }), 'error');
});
