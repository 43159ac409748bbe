// The front camera: whether there is one, a preview, a JPEG photo, and the checks made before a
// photo is sent (too dark, no face), so that the worker can retake it at once.

/** Thrown by `open`: `reason` is `denied` (permission refused) or `missing` (no usable camera). */
export class CameraError extends Error {
  constructor(reason, cause) {
    super(reason === 'denied' ? 'camera permission refused' : 'no front camera');
    this.reason = reason;
    this.cause = cause;
  }
}

/** Whether this device has a camera (a `videoinput`; browsers list it before permission is given). */
export async function hasFrontCamera() {
  if (!navigator.mediaDevices?.enumerateDevices) return false;
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.some((d) => d.kind === 'videoinput');
  } catch {
    return false;
  }
}

/** Opens the front camera into `video` and resolves with the stream once frames arrive. */
export async function open(video) {
  if (!navigator.mediaDevices?.getUserMedia) throw new CameraError('missing');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (error) {
    const denied = error?.name === 'NotAllowedError' || error?.name === 'SecurityError';
    throw new CameraError(denied ? 'denied' : 'missing', error);
  }
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play().catch(() => {});
  if (video.readyState < 2 || !video.videoWidth) {
    await new Promise((resolve) => video.addEventListener('loadeddata', resolve, { once: true }));
  }
  return stream;
}

export function stop(stream) {
  stream?.getTracks().forEach((track) => track.stop());
}

/** Takes the current frame as a JPEG: { blob, url, checks }. The bytes are the camera's, unrotated. */
export async function capture(video) {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.88));
  return { blob, url: URL.createObjectURL(blob), checks: await check(canvas) };
}

// Mean luminance (0-255) of the whole photo under which the clock warns before sending. The server
// refuses a face darker than 20 (face::quality::MIN_BRIGHTNESS, measured on the face: genuine
// matches fall away below it, docs/BENCHMARKS.md "how dark is too dark"); a face is usually the
// brightest part of a dark-site selfie, so a whole photo under 20 is one the server would refuse,
// while one between 20 and 50 (the old line) was mostly accepted and the warning only held people up.
const DARK_BELOW = 20;

/** What is wrong with a photo, as catalogue keys of plain sentences (i18n.js): [] when nothing is. */
export async function check(canvas) {
  const w = 160;
  const h = Math.max(1, Math.round((canvas.height / canvas.width) * w));
  const small = document.createElement('canvas');
  small.width = w;
  small.height = h;
  const ctx = small.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(canvas, 0, 0, w, h);
  const { data } = ctx.getImageData(0, 0, w, h);

  let sum = 0;
  let sumSq = 0;
  let skin = 0;
  let centre = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      sum += luma;
      sumSq += luma * luma;
      if (x > w * 0.2 && x < w * 0.8 && y > h * 0.1 && y < h * 0.9) {
        centre += 1;
        const cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
        const cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
        if (luma > 40 && cb >= 77 && cb <= 127 && cr >= 133 && cr <= 173) skin += 1;
      }
    }
  }
  const n = w * h;
  const mean = sum / n;
  const spread = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  const problems = [];
  const dark = mean < DARK_BELOW;
  if (dark) problems.push('camera.too_dark');

  let face = null;
  if ('FaceDetector' in window) {
    try {
      const faces = await new window.FaceDetector({ fastMode: true, maxDetectedFaces: 3 }).detect(canvas);
      face = faces.length > 0;
    } catch {
      face = null; // the API exists but cannot run here (e.g. no platform detector): use the heuristic
    }
  }
  if (face === null) {
    // No FaceDetector in this browser: a rough heuristic instead. A face fills part of the
    // middle of a front-camera photo with skin tones (the YCbCr skin range of Chai & Ngan) and
    // the picture has some contrast; a lens cap, a wall or a ceiling has neither. It can be
    // fooled (a wooden door, a hand), which is why it only warns; the server verifies faces.
    face = skin / Math.max(1, centre) >= 0.03 && spread >= 12;
  }
  if (!face && !dark) problems.push('camera.no_face');
  if (!face && dark) problems.push('camera.no_face_dark');
  return problems;
}
