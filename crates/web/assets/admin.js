// clockface admin pages: the few things plain HTML cannot do. Everything works without it,
// except the confirm before a destructive form.
'use strict';

document.addEventListener('submit', (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});

document.addEventListener('change', (event) => {
  const field = event.target;
  // Employee picker on Time Cards: show the chosen employee at once.
  if (field instanceof HTMLSelectElement && field.hasAttribute('data-autosubmit') && field.form) field.form.submit();
  // Employee form: the crew matters only for a role with Clock For.
  if (field instanceof HTMLSelectElement && field.id === 'role-select') {
    const crew = document.getElementById('crew');
    const option = field.selectedOptions[0];
    if (crew && option) crew.hidden = option.dataset.clockFor !== 'true';
  }
});

// Keyboard users close an open photo card with Escape.
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && document.activeElement instanceof HTMLElement && document.activeElement.closest('.photo-info')) {
    document.activeElement.blur();
  }
});

// The Manage menu closes when one clicks elsewhere.
document.addEventListener('click', (event) => {
  for (const menu of document.querySelectorAll('details.menu-group[open]')) {
    if (!menu.contains(event.target)) menu.removeAttribute('open');
  }
});

// An invitation link: the Copy button copies it, and focusing the field selects it (to copy by hand).
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
  const field = button ? document.getElementById(button.getAttribute('data-copy')) : null;
  if (!(field instanceof HTMLInputElement)) return;
  field.select();
  const done = () => { button.textContent = 'Copied'; };
  if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, () => {});
});
document.addEventListener('focusin', (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.hasAttribute('data-select-on-focus')) field.select();
});
