// The employee's own time card on the clock (when their role has View own time card): this pay
// period's shifts and totals as the server counted them at sign-in, and the punches still
// waiting on this device, which the server has not counted yet.

import { element, punchLabel, when } from './util.js';

/** Seconds as hours and minutes, e.g. 8:05. */
export function hours(seconds) {
  const minutes = Math.floor(Math.max(0, seconds) / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

/** A date (YYYY-MM-DD, the company's calendar day) for people, e.g. "Mon, Nov 16". */
function day(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y, m - 1, d).toLocaleDateString([], { weekday: 'short', month: 'short', day: 'numeric' });
}

/** A shift's break under its stop time: "Break 12:00–12:30", or "Break from 12:00" (running, or ended by the clock-out). */
function breakLine(b) {
  return element('span', { className: 'my-break', text: b.end ? `Break ${b.start}–${b.end}` : `Break from ${b.start}` });
}

/** Fills `container` with `card` (or says there is none yet) and the `waiting` punches. */
export function render(container, card, waiting) {
  const parts = [];
  if (!card) {
    parts.push(element('p', { className: 'muted', text: 'Your time card shows after you sign in with a network.' }));
  } else {
    parts.push(element('p', { className: 'muted', text: `Pay period ${day(card.period_start)} – ${day(card.period_end)}, as of ${when(card.as_of)}` }));
    const rows = card.days.flatMap((d) =>
      d.shifts.map((s, i) =>
        element('tr', {}, [
          element('th', { text: i === 0 ? day(d.date) : '', attrs: { scope: 'row' } }),
          element('td', { text: s.start ?? '—' }),
          element('td', {}, [s.end ?? (s.in_progress ? 'still in' : '—'), ...(s.breaks ?? []).map(breakLine)]),
          element('td', { className: 'num', text: s.in_progress ? '' : hours(s.seconds) }),
        ]),
      ),
    );
    if (rows.length === 0) rows.push(element('tr', {}, [element('td', { text: 'No shifts yet this pay period.', attrs: { colspan: '4' } })]));
    parts.push(
      element('table', { className: 'my-card' }, [
        element('thead', {}, [element('tr', {}, ['Day', 'In', 'Out', 'Hours'].map((h) => element('th', { text: h, attrs: { scope: 'col' } })))]),
        element('tbody', {}, rows),
      ]),
    );
    const totals = [`Total ${hours(card.total_seconds)}`, `Regular ${hours(card.regular_seconds)}`];
    if (card.overtime_seconds > 0) totals.push(`Overtime ${hours(card.overtime_seconds)}`);
    if (card.double_time_seconds > 0) totals.push(`Double time ${hours(card.double_time_seconds)}`);
    if (card.break_seconds > 0) totals.push(`Breaks ${hours(card.break_seconds)} (${card.breaks_paid ? 'paid' : 'unpaid'})`);
    if (card.meal_deducted_seconds > 0) totals.push(`Meal breaks deducted ${hours(card.meal_deducted_seconds)}`);
    parts.push(element('p', { className: 'my-totals', text: totals.join(' · ') }));
  }
  if (waiting.length > 0) {
    parts.push(element('h2', { text: `Waiting to be sent (${waiting.length})` }));
    parts.push(element('p', { className: 'muted', text: 'Kept on this device until the server has them; not in the hours above yet.' }));
    parts.push(
      element(
        'ul',
        { className: 'my-waiting' },
        waiting.map((i) => element('li', { text: `${punchLabel(i.punch)} — ${when(i.punch.device_time)}` })),
      ),
    );
  }
  container.replaceChildren(...parts);
}
