// The head turn (the active liveness check): when the worker's role asks for it, the clock shows a
// short random prompt ("turn your head to your left", or right) and takes a burst of frames for
// about two seconds. The frames go with the punch as one JPEG, tiled four to a row, each upright;
// the server follows one face through them (same person, the turn asked for, live frames). A
// print or a phone held up to the camera moves as a flat thing and does not turn like a head.
//
// A punch is never held back for it: the burst is kept with the punch in the outbox and judged
// when it arrives, and one that fails is flagged for review. Online, the clock may ask the server
// first (POST /device/liveness): whether the photo needs a head turn at all (role `step_up`), and,
// when the role says so (`liveness_retry`), whether the burst passed, to ask once more if not.

import { call, Offline } from './api.js';

/** Frames in a burst. */
export const FRAMES = 8;
/** Frames in a row of the burst image (domain::punch::BURST_COLUMNS). */
const COLUMNS = 4;
/** Milliseconds between frames: eight frames take about two seconds. */
const INTERVAL = 250;
/** The longer side of one frame in the burst image, in pixels. */
const LONG_SIDE = 480;
/** How long the worker reads the prompt before the frames are taken, in milliseconds. */
const READ_TIME = 900;
/** How long the clock waits for the server's advice before going on without it. */
const PROBE_TIMEOUT = 6_000;

/** When this role's clock asks for a head turn: 'always', 'when_unsure', or null (never). */
export function mode(role) {
  if (!role?.abilities?.face_front) return null;
  const liveness = role.abilities.liveness;
  if (liveness === 'active') return 'always';
  if (liveness === 'step_up') return 'when_unsure';
  return null;
}

/** A direction chosen at random, so that a recording made beforehand is as likely wrong as right. */
export function randomPrompt() {
  const [byte] = crypto.getRandomValues(new Uint8Array(1));
  return byte & 1 ? 'left' : 'right';
}

export function otherWay(prompt) {
  return prompt === 'left' ? 'right' : 'left';
}

/**
 * Asks the server about a photo (`{ photo }`) or a burst (`{ burst, prompt }`) of `employeeId`.
 * Resolves with its answer ({ checked, ask_head_turn, passed }), or null when there is no answer
 * in time (offline, a slow network, an error): the clock then goes on as if offline.
 */
export async function ask(token, employeeId, { photo, burst, prompt }) {
  if (!token) return null;
  const form = new FormData();
  const probe = { employee_id: employeeId, ...(burst ? { burst: { prompt, frames: FRAMES } } : {}) };
  form.append('probe', new Blob([JSON.stringify(probe)], { type: 'application/json' }), 'probe.json');
  if (photo) form.append('photo', photo, 'photo.jpg');
  if (burst) form.append('burst', burst, 'burst.jpg');
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), PROBE_TIMEOUT);
  });
  try {
    const answer = await Promise.race([call('/device/liveness', { token, form }), late]);
    return answer?.status === 200 ? answer.body : null;
  } catch (e) {
    if (e instanceof Offline) return null;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Takes the burst from the playing `video`: after the prompt has been read, FRAMES frames
 * INTERVAL ms apart, each turned clockwise by `rotation` degrees (the device's photo rotation) so
 * that it is upright, tiled COLUMNS to a row. `progress(n)` is called after each frame.
 * Resolves with the JPEG Blob.
 */
export async function takeBurst(video, rotation, progress = () => {}) {
  await wait(READ_TIME);
  const sideways = rotation === 90 || rotation === 270;
  const [w, h] = [video.videoWidth, video.videoHeight];
  const scale = LONG_SIDE / Math.max(w, h);
  // Each frame's size, in whole pixels (the sheet must divide into equal frames).
  const fw = Math.round(w * scale);
  const fh = Math.round(h * scale);
  const [tw, th] = sideways ? [fh, fw] : [fw, fh];
  const rows = Math.ceil(FRAMES / COLUMNS);
  const sheet = document.createElement('canvas');
  sheet.width = tw * COLUMNS;
  sheet.height = th * rows;
  const ctx = sheet.getContext('2d');
  for (let n = 0; n < FRAMES; n++) {
    if (n > 0) await wait(INTERVAL);
    const x = (n % COLUMNS) * tw;
    const y = Math.floor(n / COLUMNS) * th;
    ctx.save();
    ctx.translate(x + tw / 2, y + th / 2);
    ctx.rotate((rotation * Math.PI) / 180);
    ctx.drawImage(video, -fw / 2, -fh / 2, fw, fh);
    ctx.restore();
    progress(n + 1);
  }
  return new Promise((resolve) => sheet.toBlob(resolve, 'image/jpeg', 0.85));
}
