// The employee's own time card on the clock (when their role has View own time card): this pay
// period's shifts and totals as the server counted them at sign-in, the punches sent since then
// (the server has them; the card counts them from the next sign-in), and the punches still
// waiting on this device, which the server has not counted yet.

import { locale, t } from './i18n.js';
import { element, punchLabel, wallTime, when } from './util.js';

/** Seconds as hours and minutes, e.g. 8:05. */
export function hours(seconds) {
  const minutes = Math.floor(Math.max(0, seconds) / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

/** A date (YYYY-MM-DD, the company's calendar day) for people, e.g. "Mon, Nov 16". */
export function day(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(locale(), { weekday: 'short', month: 'short', day: 'numeric' });
}

/** A shift's break under its stop time: "Break 12:00 PM–12:30 PM", or "Break from 12:00 PM" (running, or ended by the clock-out). */
function breakLine(b) {
  return element('span', { className: 'my-break', text: b.end ? t('card.break', { start: wallTime(b.start), end: wallTime(b.end) }) : t('card.break_from', { start: wallTime(b.start) }) });
}

/** A list of punches under a heading and a line of help. */
function punchList(heading, help, items) {
  return [
    element('h2', { text: heading }),
    element('p', { className: 'muted', text: help }),
    element('ul', { className: 'my-waiting' }, items.map((punch) => element('li', { text: `${punchLabel(punch)} — ${when(punch.device_time)}` }))),
  ];
}

/** Fills `container` with `card` (or says there is none yet), the punches `sent` since it was
 * counted and the `waiting` ones. */
export function render(container, card, waiting, sent = []) {
  const parts = [];
  if (!card) {
    parts.push(element('p', { className: 'muted', text: t('card.none') }));
  } else {
    parts.push(element('p', { className: 'muted', text: t('card.period', { start: day(card.period_start), end: day(card.period_end), when: when(card.as_of) }) }));
    const rows = card.days.flatMap((d) =>
      d.shifts.map((s, i) =>
        element('tr', {}, [
          element('th', { text: i === 0 ? day(d.date) : '', attrs: { scope: 'row' } }),
          element('td', { text: s.start ? wallTime(s.start) : '—' }),
          element('td', {}, [s.end ? wallTime(s.end) : (s.in_progress ? t('card.still_in') : '—'), ...(s.breaks ?? []).map(breakLine)]),
          element('td', { className: 'num', text: s.in_progress ? '' : hours(s.seconds) }),
        ]),
      ),
    );
    if (rows.length === 0) rows.push(element('tr', {}, [element('td', { text: t('card.no_shifts'), attrs: { colspan: '4' } })]));
    parts.push(
      element('table', { className: 'my-card' }, [
        element('thead', {}, [element('tr', {}, ['card.day', 'card.in', 'card.out', 'card.hours'].map((h) => element('th', { text: t(h), attrs: { scope: 'col' } })))]),
        element('tbody', {}, rows),
      ]),
    );
    const totals = [t('card.total', { hours: hours(card.total_seconds) }), t('card.regular', { hours: hours(card.regular_seconds) })];
    if (card.overtime_seconds > 0) totals.push(t('card.overtime', { hours: hours(card.overtime_seconds) }));
    if (card.double_time_seconds > 0) totals.push(t('card.double_time', { hours: hours(card.double_time_seconds) }));
    if (card.break_seconds > 0) totals.push(t(card.breaks_paid ? 'card.breaks_paid' : 'card.breaks_unpaid', { hours: hours(card.break_seconds) }));
    if (card.meal_deducted_seconds > 0) totals.push(t('card.meal_deducted', { hours: hours(card.meal_deducted_seconds) }));
    parts.push(element('p', { className: 'my-totals', text: totals.join(' · ') }));
  }
  if (sent.length > 0) parts.push(...punchList(t('card.sent', { n: sent.length }), t('card.sent_help'), sent));
  if (waiting.length > 0) {
    parts.push(...punchList(t('card.waiting', { n: waiting.length }), t('card.waiting_help'), waiting.map((i) => i.punch)));
  }
  container.replaceChildren(...parts);
}
