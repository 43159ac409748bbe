// Picking the job (and cost code) at Clock In. Jobs and cost codes come with the sync answer,
// which the device keeps, so picking works offline. The employee's recent jobs come first, then
// the rest by name; the search keeps those whose name or number contains what was typed. A cost
// code is asked for only when the company has some for the job (domain::job::cost_codes_for).

import { t } from './i18n.js';
import { kv } from './store.js';
import { $, element } from './util.js';

const RECENT = 'recent-jobs';
const KEEP = 5;

/** The active cost codes that may be picked for `jobId`. */
export function codesFor(sync, jobId) {
  return (sync?.cost_codes ?? []).filter((code) => code.active && (code.all_jobs || code.job_ids.includes(jobId)));
}

/** The employee's recent job ids, most recent first. */
async function recent(employeeId) {
  return ((await kv.get(RECENT)) ?? {})[employeeId] ?? [];
}

/** Remembers `jobId` as the employee's most recent job. */
export async function remember(employeeId, jobId) {
  if (!jobId) return;
  const all = (await kv.get(RECENT)) ?? {};
  all[employeeId] = [jobId, ...(all[employeeId] ?? []).filter((id) => id !== jobId)].slice(0, KEEP);
  await kv.set(RECENT, all);
}

/**
 * Asks for the job and cost code on the job screen (`show` shows a screen by name). Resolves with
 * `{ job_id, cost_code_id }` (either may be absent: the company has no jobs, or no codes for the
 * job), or null when cancelled.
 */
export async function pick(sync, employeeId, show, title = t('job.which')) {
  const jobs = (sync?.jobs ?? []).filter((job) => job.active);
  if (jobs.length === 0) return {};
  const order = await recent(employeeId);
  const rank = (job) => {
    const at = order.indexOf(job.id);
    return at === -1 ? order.length : at;
  };
  const sorted = [...jobs].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return new Promise((resolve) => {
    const search = $('job-search');
    const list = $('job-list');
    const codes = $('code-list');
    $('job-title').textContent = title;
    search.value = '';
    search.hidden = false;
    $('code-step').hidden = true;
    const finish = (value) => {
      search.oninput = null;
      $('job-cancel').onclick = null;
      resolve(value);
    };
    const chooseCode = (job) => {
      const applying = codesFor(sync, job.id);
      if (applying.length === 0) return finish({ job_id: job.id });
      search.hidden = true;
      list.replaceChildren();
      $('job-title').textContent = t('job.which_code', { job: job.name });
      $('code-step').hidden = false;
      codes.replaceChildren(
        ...applying.map((code) => {
          const button = element('button', { className: 'choice', attrs: { type: 'button' } }, [
            element('strong', { text: code.name }),
            element('span', { className: 'muted', text: ` ${code.number}` }),
          ]);
          button.onclick = () => finish({ job_id: job.id, cost_code_id: code.id });
          return button;
        }),
      );
    };
    const render = () => {
      const wanted = search.value.trim().toLowerCase();
      const shown = sorted.filter((job) => !wanted || job.name.toLowerCase().includes(wanted) || job.number.toLowerCase().includes(wanted));
      list.replaceChildren(
        ...shown.map((job) => {
          const recentJob = order.includes(job.id);
          const button = element('button', { className: 'choice', attrs: { type: 'button' } }, [
            element('strong', { text: job.name }),
            element('span', { className: 'muted', text: ` ${job.number}${recentJob ? ` · ${t('job.recent')}` : ''}` }),
          ]);
          button.onclick = () => chooseCode(job);
          return button;
        }),
      );
      if (shown.length === 0) list.append(element('p', { className: 'muted', text: t('job.none') }));
    };
    search.oninput = render;
    $('job-cancel').onclick = () => finish(null);
    render();
    show('job');
  });
}
