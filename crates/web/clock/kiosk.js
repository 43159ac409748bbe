// The kiosk (issue 28): a shared tablet an admin set to kiosk mode identifies the worker in front
// of it by face. The worker presses Clock in or Clock out while looking at the camera; the server
// (POST /device/kiosk/identify) names them, asks for a head turn first when its liveness check is
// unsure of the photo, or asks for the PIN. Named, the tablet greets them and offers a large
// "Not me" for a few seconds: the punch waits in the outbox, held, and leaves only when that time
// is over. "Not me" takes it out of the outbox before it was ever sent, tells the server (the audit
// log records it), and asks for the PIN. Not recognised, no camera, or no network: the PIN screen,
// and in kiosk mode every PIN punch takes a photo (app.js), so offline the kiosk is PIN + photo.

import { call, errorMessage, Offline } from './api.js';
import { t } from './i18n.js';
import * as camera from './camera.js';
import * as headturn from './headturn.js';
import * as queue from './outbox.js';
import * as signing from './signing.js';
import { $, clockTime, deviceTime } from './util.js';

/** How long "Not me" is offered before the punch is sent, in milliseconds. */
export const NOT_ME_FOR = 6_000;
/** How long the answer stays on screen after "Not me" is gone, before the next worker's turn. */
const SHOWN_AFTER = 4_000;

let app = null; // { state, show, message, pinInstead }
let stream = null;
let busy = false;
let greeting = null; // while a worker is greeted: { clientId, employeeId, timers }

/** The app's side: its state (token, sync, rotation), `show(screen)`, `message(text, kind)`, `pinInstead(text)`. */
export function configure(hooks) {
  app = hooks;
  $('kiosk-in').addEventListener('click', () => press('in'));
  $('kiosk-out').addEventListener('click', () => press('out'));
  $('kiosk-pin').addEventListener('click', () => pin(null));
  $('kiosk-not-me').addEventListener('click', notMe);
}

/** Whether this device is a kiosk, as its last sync says. */
export function on(state) {
  return Boolean(state.sync?.device?.kiosk);
}

/** The kiosk's home: the live camera and the two buttons. */
export async function show() {
  busy = false;
  choosing(true);
  app.show('kiosk');
  if (!stream) {
    // Clock in and Clock out wait for the camera: a press must have a face to look at.
    ready(false);
    say(t('kiosk.starting'));
    try {
      stream = await camera.open($('kiosk-video'));
    } catch (e) {
      if (!(e instanceof camera.CameraError)) throw e;
      stop();
      return pin(t(e.reason === 'denied' ? 'kiosk.camera_denied' : 'kiosk.no_camera'));
    }
  }
  ready(true);
  say(t('kiosk.help'));
}

function ready(yes) {
  $('kiosk-in').disabled = !yes;
  $('kiosk-out').disabled = !yes;
}

/** Lets the camera go (the PIN screen and the camera screen take their own). */
export function stop() {
  camera.stop(stream);
  stream = null;
  $('kiosk-video').srcObject = null;
}

function choosing(yes) {
  $('kiosk-buttons').hidden = !yes;
  $('kiosk-greeting').hidden = yes;
  $('kiosk-turn').hidden = true;
  for (const id of ['kiosk-in', 'kiosk-out', 'kiosk-pin']) $(id).disabled = !yes;
}

function say(text) {
  $('kiosk-status').textContent = text ?? '';
}

function pin(text) {
  stop();
  busy = false;
  app.pinInstead(text);
}

/** Asks the server who is in `photo` (with the head turn's `burst` once asked for it). */
function identify(clientId, kind, photo, turn = null) {
  const form = new FormData();
  const body = { client_id: clientId, kind, ...(turn ? { burst: { prompt: turn.prompt, frames: headturn.FRAMES } } : {}) };
  form.append('identify', new Blob([JSON.stringify(body)], { type: 'application/json' }), 'identify.json');
  form.append('photo', photo, 'photo.jpg');
  if (turn) form.append('burst', turn.blob, 'burst.jpg');
  return call('/device/kiosk/identify', { token: app.state.token, form });
}

async function press(kind) {
  if (busy || !stream) return;
  busy = true;
  app.message(null);
  for (const id of ['kiosk-in', 'kiosk-out', 'kiosk-pin']) $(id).disabled = true;
  const pressed = new Date(); // the punch's time: when the button was pressed
  const video = $('kiosk-video');
  const shot = await camera.capture(video);
  const clientId = crypto.randomUUID();
  say(t('kiosk.looking'));
  let turn = null;
  try {
    let answer = await identify(clientId, kind, shot.blob);
    if (answer.status === 200 && answer.body.result === 'head_turn') {
      turn = await headTurn(video);
      say(t('kiosk.looking'));
      answer = await identify(clientId, kind, shot.blob, turn);
    }
    if (answer.status !== 200) return pin(errorMessage(answer));
    const result = answer.body;
    if (result.result === 'identified') return await greet(result, kind, pressed, clientId, shot.blob, turn);
    return pin(reasonText(result));
  } catch (e) {
    if (!(e instanceof Offline)) throw e;
    return pin(t('kiosk.offline'));
  }
}

/** The head turn the server asked for: a random prompt, then the burst. */
async function headTurn(video) {
  const prompt = headturn.randomPrompt();
  $('kiosk-turn').hidden = false;
  $('kiosk-turn-text').textContent = t(prompt === 'left' ? 'turn.left' : 'turn.right');
  const progress = $('kiosk-turn-progress');
  progress.value = 0;
  const blob = await headturn.takeBurst(video, app.state.rotation, (n) => (progress.value = n));
  $('kiosk-turn').hidden = true;
  return { blob, prompt };
}

/** Why the kiosk asks for the PIN (the server's `reason`), in the worker's words. */
const REASONS = {
  below_threshold: 'kiosk.reason.below_threshold',
  too_close: 'kiosk.reason.too_close',
  no_face: 'kiosk.reason.no_face',
  several_faces: 'kiosk.reason.several_faces',
  too_far: 'kiosk.reason.too_far',
  poor_quality: 'kiosk.reason.poor_quality',
  not_live: 'kiosk.reason.not_live',
  empty_gallery: 'kiosk.reason.empty_gallery',
  gallery_too_large: 'kiosk.reason.gallery_too_large',
};

function reasonText(result) {
  return t(REASONS[result.reason] ?? REASONS.below_threshold);
}

/**
 * Greets the worker the server named, with the punch held in the outbox while "Not me" is
 * offered, then lets it go and says whether it reached the server.
 */
async function greet(result, kind, pressed, clientId, photo, turn) {
  const punch = {
    client_id: clientId,
    employee_id: result.employee_id,
    kind,
    device_time: deviceTime(pressed),
    settings_version: app.state.sync?.settings_version,
    photo_rotation: app.state.rotation,
  };
  let burst = null;
  if (turn) {
    punch.burst = { prompt: turn.prompt, frames: headturn.FRAMES };
    burst = turn.blob;
  }
  punch.signature = await signing.sign(punch, photo, burst);
  await queue.add(punch, photo, result.name, burst, Date.now() + NOT_ME_FOR);
  choosing(false);
  const done = t(kind === 'in' ? 'kiosk.clocked_in_at' : 'kiosk.clocked_out_at', { time: clockTime(pressed) });
  $('kiosk-hello').textContent = t('kiosk.hello', { name: result.name });
  $('kiosk-done').textContent = done;
  $('kiosk-not-me').hidden = false;
  say(null);
  $('kiosk-hint').textContent = t('kiosk.not_me_help');
  const timers = [setTimeout(() => send(done), NOT_ME_FOR)];
  greeting = { clientId, employeeId: result.employee_id, timers };
}

/** "Not me" is over: the punch goes, and the kiosk is ready for the next worker. */
async function send(done) {
  if (!greeting) return;
  $('kiosk-not-me').hidden = true;
  const { clientId } = greeting;
  const result = await queue.flush();
  const refused = (await queue.items()).some((i) => i.client_id === clientId && i.state === 'refused');
  const said = refused ? 'punch.refused' : result.error === 'offline' || result.waiting > 0 ? 'punch.kept' : 'punch.sent';
  $('kiosk-hint').textContent = t(said, { done });
  greeting.timers.push(setTimeout(() => {
    greeting = null;
    show();
  }, SHOWN_AFTER));
}

/** The worker says the kiosk named someone else: the held punch is dropped unsent, and the PIN asked. */
async function notMe() {
  if (!greeting) return;
  const { clientId, employeeId, timers } = greeting;
  greeting = null;
  timers.forEach(clearTimeout);
  await queue.remove(clientId);
  try {
    await call('/device/kiosk/not-me', { token: app.state.token, json: { employee_id: employeeId, client_id: clientId } });
  } catch (e) {
    if (!(e instanceof Offline)) throw e; // offline: the punch was not sent, which is what matters
  }
  pin(t('kiosk.not_me_pin'));
}
