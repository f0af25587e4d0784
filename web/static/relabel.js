// Loupe board: label corrections in place (relabel, change/delete a box, add a missed box) and undo.
// Posts through window.loupePost (board.js: JSON + CSRF token). No inline scripts (CSP).
(() => {
  const post = (url, body) => window.loupePost(url, body);

  function statusOf(el) {
    return (
      el.querySelector('.relabel-status') ?? el.closest('section, article')?.querySelector('.relabel-status')
    );
  }

  function say(out, text, ok, rowId) {
    if (!out) return;
    out.textContent = text;
    out.className = `relabel-status ${ok ? 'ok' : 'fail'}`;
    if (ok && rowId) {
      const undo = document.createElement('button');
      undo.type = 'button';
      undo.className = 'undo';
      undo.dataset.undo = String(rowId);
      undo.textContent = 'Undo';
      out.append(' ', undo);
    }
  }

  /** Show the new label on the card (classification) and mark it corrected. */
  function showLabel(rowId, label) {
    for (const card of document.querySelectorAll(`.card[data-row="${rowId}"]`)) {
      const dd = card.querySelector('dd.label');
      if (dd && label) dd.textContent = label;
      card.classList.add('relabeled');
    }
  }

  async function correct(box, op, label) {
    const rowId = Number(box.dataset.row);
    const runId = box.closest('[data-run-id]')?.dataset.runId || null;
    const body = { rowId, runId, op };
    if (label) body.label = label;
    if (box.dataset.ann) body.annId = Number(box.dataset.ann);
    if (box.dataset.pred) body.predId = Number(box.dataset.pred);
    const out = statusOf(box);
    for (const el of box.querySelectorAll('button, select')) el.disabled = true;
    try {
      const r = await post('/api/corrections', body);
      if (r.label) showLabel(rowId, r.label);
      say(out, r.message, true, r.recorded ? rowId : null);
    } catch (err) {
      say(out, err.message, false);
    } finally {
      for (const el of box.querySelectorAll('button, select')) el.disabled = false;
    }
  }

  async function undo(button) {
    const rowId = Number(button.dataset.undo);
    const out = button.closest('.relabel-status') ?? statusOf(button.closest('.label-history') ?? button);
    button.disabled = true;
    try {
      const r = await post('/api/corrections/undo', { rowId });
      if (r.label) showLabel(rowId, r.label);
      say(out, r.message, true);
    } catch (err) {
      say(out, err.message, false);
      button.disabled = false;
    }
  }

  document.addEventListener('click', (e) => {
    const undoButton = e.target.closest?.('button[data-undo]');
    if (undoButton) return void undo(undoButton);
    const button = e.target.closest?.('.relabel button[data-op]');
    if (button) correct(button.closest('.relabel'), button.dataset.op, button.dataset.label);
  });
  document.addEventListener('change', (e) => {
    const pick = e.target.closest?.('.relabel select.relabel-pick');
    if (!pick?.value) return;
    const label = pick.value;
    pick.value = '';
    correct(pick.closest('.relabel'), pick.dataset.op, label);
  });
})();
