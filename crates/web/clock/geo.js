// The position a punch carries when the employee's role has Record GPS. It never blocks the
// punch: a refused permission, no fix within a few seconds, or no location at all is recorded as
// the reason instead (`permission_denied`, `timeout`, `unavailable`), and the server decides
// whether a position lies outside the job's geofence.

const WAIT_MS = 5000;

/** Resolves with `{ position }` or `{ no_position_reason }`; never rejects. */
export function locate(waitMs = WAIT_MS) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) {
      resolve({ no_position_reason: 'unavailable' });
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (fix) =>
        resolve({ position: { latitude: fix.coords.latitude, longitude: fix.coords.longitude, accuracy_m: fix.coords.accuracy } }),
      (error) => {
        const reason = error.code === error.PERMISSION_DENIED ? 'permission_denied' : error.code === error.TIMEOUT ? 'timeout' : 'unavailable';
        resolve({ no_position_reason: reason });
      },
      { enableHighAccuracy: true, timeout: waitMs, maximumAge: 0 },
    );
  });
}
