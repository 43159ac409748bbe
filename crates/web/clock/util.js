// Small helpers shared by the clock's modules.

import { locale, t } from './i18n.js';

/** `date` as RFC 3339 with this device's UTC offset, e.g. 2026-11-26T07:02:11.123-06:00. */
export function deviceTime(date) {
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** A time of day for people in the clock's language, e.g. "7:02 AM" (es-MX: "7:02 a.m."), in this device's zone. */
export function clockTime(value) {
  return new Date(value).toLocaleTimeString(locale(), { hour: 'numeric', minute: '2-digit' });
}

/** A wall-clock time the server gives as "15:40" (the company's zone), in the clock's format: "3:40 PM", "3:40 p.m.". */
export function wallTime(hhmm) {
  const [h, m] = hhmm.split(':').map(Number);
  return new Date(Date.UTC(2000, 0, 1, h, m)).toLocaleTimeString(locale(), { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' });
}

/** "today at 7:02 AM" or "Nov 25, 7:02 AM" ("hoy a las 7:02 a.m.", "25 nov, 7:02 a.m."). */
export function when(value) {
  const date = new Date(value);
  const today = new Date();
  if (date.toDateString() === today.toDateString()) return t('time.today_at', { time: clockTime(date) });
  return t('time.day_at', { day: date.toLocaleDateString(locale(), { month: 'short', day: 'numeric' }), time: clockTime(date) });
}

export const $ = (id) => document.getElementById(id);

/** Makes an element with text (never HTML: names come from the server). */
export function element(tag, { text, className, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

/** What a punch is, for people: Clock In, Clock Out, Start break, End break. */
export function punchLabel(punch) {
  if (punch.on_break) return t(punch.kind === 'in' ? 'status.end_break' : 'status.start_break');
  return t(punch.kind === 'in' ? 'status.clock_in' : 'status.clock_out');
}

/** Where an employee stands after `punch`: in a shift (perhaps on a break, or back from one) or not, since when. */
export function statusAfter(punch, before = null) {
  const onBreak = Boolean(punch.on_break);
  // The shift's job: a clock-in's pick (Change job is a clock-out and a clock-in); a break keeps
  // the one before it; a clock-out ends it.
  let job = null;
  if (onBreak) job = before?.job ?? null;
  else if (punch.kind === 'in') job = { job_id: punch.job_id ?? null, cost_code_id: punch.cost_code_id ?? null };
  return {
    clockedIn: punch.kind === 'in' || onBreak,
    onBreak: punch.kind === 'out' && onBreak,
    back: punch.kind === 'in' && onBreak,
    since: punch.device_time,
    job,
  };
}
