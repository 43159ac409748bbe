// Time off on the clock (issue 29): after the PIN, an employee whose role may ask for time off
// picks a type, the days (or hours of one day) and writes a note; online, the clock shows the
// balance before and after (the server's preview) before the request can be sent. A request goes
// through the outbox like a punch, under a client id made here: kept on the device while there is
// no network and sent when it is back, never twice (the server answers a resend with the request
// it already has). Its PIN travels sealed to the server's key for that request only (pinseal.js),
// as an offline punch's does: the device keeps no PIN.
//
// "My time off" lists the employee's requests with each answer and its note, and after each online
// sign-in the clock tells them of answers they have not seen yet (the ids seen are kept on the
// device, per employee).

import { call, errorMessage, Offline } from './api.js';
import { t } from './i18n.js';
import { day, hours } from './mycard.js';
import * as queue from './outbox.js';
import { sealPin } from './pinseal.js';
import { kv } from './store.js';
import { $, element } from './util.js';

/** The form's fields, by the name the server gives a refusal. */
const FIELDS = { type_id: 'timeoff-type', first: 'timeoff-first', last: 'timeoff-last', hours: 'timeoff-hours', note: 'timeoff-note' };

/** A request's status in words. */
const STATUS = {
  requested: 'timeoff.status_requested',
  approved: 'timeoff.status_approved',
  declined: 'timeoff.status_declined',
  cancelled: 'timeoff.status_cancelled',
};

/** Whether `role` lets its holders ask for time off (a role synced before the switch existed: yes, its default). */
export function allowed(role) {
  return role?.abilities?.ask_time_off !== false;
}

/** The employee's requests, types and balances from the server, or null when it cannot be asked (offline, refused). */
export async function mine(token, session) {
  if (!session.pin) return null;
  try {
    const answer = await call('/device/time-off/mine', { token, json: { employee_id: session.employee.id, pin: session.pin } });
    if (answer.status !== 200) return null;
    // The company's types, for asking offline later; nothing personal is kept.
    await kv.set('time-off-types', answer.body.types);
    return answer.body;
  } catch (e) {
    if (e instanceof Offline) return null;
    throw e;
  }
}

/** "Vacation, Mon, Dec 14 – Tue, Dec 15" or "Sick, Wed, Dec 16 (4:00 h)". */
function requestLabel(request) {
  const span = request.span;
  let days;
  if (span.span === 'hours') days = `${day(span.date)} (${hours(span.seconds)} h)`;
  else days = span.first === span.last ? day(span.first) : `${day(span.first)} – ${day(span.last)}`;
  return `${request.type_name}, ${days}`;
}

/** The sentence of an answer: approved or declined, with the note. */
function answerText(request) {
  const note = request.answer?.note?.trim();
  const key = request.status === 'approved' ? 'timeoff.approved' : request.status === 'declined' ? 'timeoff.declined' : 'timeoff.cancelled';
  return t(key, { what: requestLabel(request) }) + (note ? ` ${t('timeoff.their_note', { note })}` : '');
}

/**
 * The answers `employeeId` has not been told of yet (approved or declined since), as sentences;
 * marks them told.
 */
export async function newAnswers(employeeId, requests) {
  const told = (await kv.get('time-off-told')) ?? {};
  const seen = new Set(told[employeeId] ?? []);
  const answered = requests.filter((r) => (r.status === 'approved' || r.status === 'declined') && !seen.has(r.id));
  if (answered.length === 0) return [];
  told[employeeId] = [...seen, ...answered.map((r) => r.id)];
  await kv.set('time-off-told', told);
  return answered.map(answerText);
}

/** Empties the form and fills its list of types: the company's, as last read from the server. */
export async function renderForm(known) {
  const types = known?.types ?? (await kv.get('time-off-types')) ?? [];
  $('timeoff-type').replaceChildren(...types.map((type) => element('option', { text: type.name, attrs: { value: type.id } })));
  for (const id of ['timeoff-first', 'timeoff-last', 'timeoff-hours', 'timeoff-note']) $(id).value = '';
  $('timeoff-partial').checked = false;
  showPartial();
  clearErrors();
  $('timeoff-preview').hidden = true;
  $('timeoff-empty').hidden = types.length > 0;
}

/** Whole days (first and last) or hours of one day. */
export function showPartial() {
  const partial = $('timeoff-partial').checked;
  $('timeoff-preview').hidden = true;
  $('timeoff-last-field').hidden = partial;
  $('timeoff-hours-field').hidden = !partial;
}

function clearErrors() {
  for (const id of Object.values(FIELDS)) {
    $(`${id}-error`).hidden = true;
    $(id).removeAttribute('aria-invalid');
  }
  $('timeoff-error').hidden = true;
}

/** A refusal (an API answer) beside its field, or above the button when it names none. */
export function showError(answer) {
  clearErrors();
  const field = FIELDS[answer.body?.error?.field];
  const box = field ? $(`${field}-error`) : $('timeoff-error');
  box.textContent = errorMessage(answer);
  box.hidden = false;
  if (field) $(field).setAttribute('aria-invalid', 'true');
}

/** The request as the form says it, for `employeeId`. */
function typed(employeeId) {
  const partial = $('timeoff-partial').checked;
  const body = { employee_id: employeeId, type_id: $('timeoff-type').value, first: $('timeoff-first').value, note: $('timeoff-note').value };
  if (partial) body.hours = $('timeoff-hours').value.trim().replace(',', '.');
  else if ($('timeoff-last').value) body.last = $('timeoff-last').value;
  return body;
}

/** The PIN of the session for a call: as typed at an online sign-in, else sealed for `clientId`. */
async function credentials(sealKey, session, clientId) {
  if (session.pin) return { pin: session.pin };
  if (!sealKey || !session.offlinePin) return null;
  return { client_id: clientId, sealed_pin: await sealPin(sealKey, session.offlinePin, clientId) };
}

/** Asks the server what the request would take and leave: true when it was shown, false when refused or offline. */
export async function preview(token, sealKey, session) {
  clearErrors();
  const box = $('timeoff-preview');
  if (!$('timeoff-type').value) return false;
  const pin = await credentials(sealKey, session, crypto.randomUUID());
  if (!pin) return false;
  let answer;
  try {
    answer = await call('/device/time-off/preview', { token, json: { ...typed(session.employee.id), ...pin } });
  } catch (e) {
    if (!(e instanceof Offline)) throw e;
    box.replaceChildren(element('p', { text: t('timeoff.offline_preview') }));
    box.hidden = false;
    return false;
  }
  if (answer.status !== 200) {
    box.hidden = true;
    showError(answer);
    return false;
  }
  const seen = answer.body;
  const lines = [t('timeoff.takes', { hours: hours(seen.requested_seconds) })];
  if (seen.balance) {
    lines.push(t('timeoff.balance', { before: hours(seen.balance.before_seconds), after: signed(seen.balance.after_seconds) }));
  } else {
    lines.push(t('timeoff.no_balance'));
  }
  for (const overlap of seen.overlaps ?? []) lines.push(t('timeoff.overlap', { day: day(overlap.date), hours: hours(overlap.worked_seconds) }));
  box.replaceChildren(...lines.map((text) => element('p', { text })));
  box.hidden = false;
  return true;
}

/** Hours that may be below zero: "-4:00". */
function signed(seconds) {
  return seconds < 0 ? `-${hours(-seconds)}` : hours(seconds);
}

/**
 * Keeps the request in the outbox under a new client id, its PIN sealed for it, and sends what
 * waits. Resolves with the outbox's answer ({ sent, refused, waiting, error }) and the request's id,
 * or null when the PIN cannot be sealed (no server key yet).
 */
export async function send(sealKey, session) {
  const pin = session.pin ?? session.offlinePin;
  if (!sealKey || !pin) return null;
  const request = { ...typed(session.employee.id), client_id: crypto.randomUUID() };
  // Sealed even when the PIN was typed online: the outbox keeps the request, never a PIN.
  request.sealed_pin = await sealPin(sealKey, pin, request.client_id);
  await queue.addTimeOff(request, session.employee.name);
  return { clientId: request.client_id, result: await queue.flush() };
}

/** Their requests (from the server when it could be asked) and those still waiting on this device. */
export async function renderList(session, known) {
  const list = $('timeoff-list');
  const waiting = (await queue.items()).filter((i) => i.timeOff?.employee_id === session.employee.id);
  const items = waiting.map((item) =>
    element('li', { className: `timeoff-item ${item.state}` }, [
      element('strong', { text: `${item.timeOff.first}${item.timeOff.last ? ` – ${item.timeOff.last}` : ''}` }),
      element('span', { text: item.state === 'refused' ? t('timeoff.refused_here') : t('timeoff.kept_here') }),
    ]),
  );
  for (const request of known?.requests ?? []) {
    const children = [element('strong', { text: requestLabel(request) }), element('span', { text: t(STATUS[request.status]) })];
    if (request.answer?.note?.trim() && request.status !== 'requested') children.push(element('span', { className: 'timeoff-answer', text: t('timeoff.their_note', { note: request.answer.note.trim() }) }));
    items.push(element('li', { className: `timeoff-item ${request.status}` }, children));
  }
  if (!known) items.push(element('li', { className: 'muted', text: t('timeoff.list_offline') }));
  else if (items.length === 0) items.push(element('li', { className: 'muted', text: t('timeoff.none') }));
  list.replaceChildren(...items);
}
