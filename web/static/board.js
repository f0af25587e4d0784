// Loupe board: charts, sortable tables, multi-select and the action bar. No inline scripts (CSP).
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

  /** POST JSON with the session's CSRF token; resolves with the parsed answer or throws its message. */
  async function post(url, body) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      credentials: 'same-origin',
      body: JSON.stringify(body),
    });
    let data = null;
    try {
      data = await res.json();
    } catch {}
    if (!res.ok) throw new Error(data?.error ?? `request failed (${res.status})`);
    return data;
  }
  window.loupePost = post;

  /** Embed a vega-lite spec with the CSP-safe expression interpreter; clicks on marks with an href navigate. */
  async function embed(el, spec, opts = {}) {
    const result = await window.vegaEmbed(el, spec, {
      renderer: 'canvas',
      actions: { export: true, source: false, compiled: false, editor: false },
      ast: true,
      expr: window.vegaInterpreter.expressionInterpreter,
      ...opts,
    });
    result.view.addEventListener('click', (_event, item) => {
      const href = item?.datum?.href;
      if (typeof href === 'string' && href.startsWith('/') && !href.startsWith('//'))
        window.location.assign(href);
    });
    return result;
  }
  window.loupeEmbed = embed;

  function charts() {
    for (const el of document.querySelectorAll('.vega-chart[data-spec]')) {
      embed(el, JSON.parse(el.dataset.spec))
        .then(() => el.setAttribute('data-rendered', 'true'))
        .catch((err) => {
          el.textContent = `Chart failed: ${err.message}`;
          console.error(err);
        });
    }
  }

  function sortableTables() {
    for (const table of document.querySelectorAll('table.sortable')) {
      const heads = [...table.querySelectorAll('thead th')];
      heads.forEach((th, col) => {
        th.tabIndex = 0;
        th.title = 'sort';
        const sort = () => {
          const asc = th.getAttribute('aria-sort') !== 'ascending';
          for (const h of heads) h.removeAttribute('aria-sort');
          th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
          const body = table.tBodies[0];
          const key = (tr) => {
            const cell = tr.cells[col];
            const v = cell?.dataset.value;
            if (v !== undefined && v !== '' && !Number.isNaN(Number(v))) return Number(v);
            const text = cell?.textContent.trim() ?? '';
            return text !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
          };
          const rows = [...body.rows].sort((a, b) => {
            const x = key(a);
            const y = key(b);
            const d =
              typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
            return asc ? d : -d;
          });
          for (const tr of rows) body.appendChild(tr);
        };
        th.addEventListener('click', sort);
        th.addEventListener('keydown', (e) => e.key === 'Enter' && sort());
      });
    }
  }

  const DONE = { approve: 'approved', rework: 'sent to rework', dismiss: 'dismissed' };

  function galleries() {
    for (const section of document.querySelectorAll('section.gallery')) {
      const bar = section.querySelector('.actionbar');
      if (!bar) continue;
      const boxes = () => [...section.querySelectorAll('input.pick')];
      const status = bar.querySelector('.status');
      const count = bar.querySelector('.count');
      let external = null; // rows chosen outside the checkboxes (projector brush)
      let last = null;

      const selected = () => {
        if (bar.dataset.rows) return bar.dataset.rows.split(',').map(Number);
        if (external) return external;
        return boxes()
          .filter((b) => b.checked)
          .map((b) => Number(b.value));
      };
      const refresh = () => {
        const n = selected().length;
        if (count) count.textContent = `${n} selected`;
        for (const b of bar.querySelectorAll('button[data-action]')) b.disabled = n === 0;
        for (const card of section.querySelectorAll('.card')) {
          card.classList.toggle('selected', !!card.querySelector('input.pick:checked'));
        }
        const all = bar.querySelector('.select-all');
        if (all) all.checked = boxes().length > 0 && boxes().every((b) => b.checked);
      };
      section.addEventListener('loupe:select', (e) => {
        external = e.detail;
        refresh();
      });

      section.addEventListener('click', (e) => {
        const box = e.target.closest?.('input.pick');
        if (!box) return;
        const list = boxes();
        if (e.shiftKey && last && last !== box) {
          const [a, b] = [list.indexOf(last), list.indexOf(box)].sort((x, y) => x - y);
          for (let i = a; i <= b; i++) list[i].checked = box.checked;
        }
        last = box;
        refresh();
      });
      bar.querySelector('.select-all')?.addEventListener('change', (e) => {
        for (const b of boxes()) b.checked = e.target.checked;
        refresh();
      });

      const say = (text, ok = true) => {
        status.textContent = text;
        status.className = `status ${ok ? 'ok' : 'fail'}`;
      };
      const runId = section.dataset.runId ? Number(section.dataset.runId) : null;
      for (const button of bar.querySelectorAll('button[data-action]')) {
        button.addEventListener('click', async () => {
          const rowIds = selected();
          if (rowIds.length === 0) return;
          const action = button.dataset.action;
          try {
            if (action === 'similar') {
              const q = new URLSearchParams({ rows: rowIds.slice(0, 200).join(',') });
              window.location.assign(`/runs/${encodeURIComponent(section.dataset.run)}/similar?${q}`);
              return;
            }
            button.disabled = true;
            if (action === 'batch') {
              const input = bar.querySelector('.batch-name');
              const name = input.value.trim();
              if (!name) {
                say('Name the batch first (a new name creates it).', false);
                input.focus();
                return;
              }
              const r = await post('/api/batches', { name, rowIds, runId });
              say(r.message);
              return;
            }
            const r = await post('/api/decisions', { decision: action, rowIds, runId });
            say(r.message);
            for (const id of r.recorded) {
              const card = section.querySelector(`.card[data-row="${id}"]`);
              if (!card) continue;
              let p = card.querySelector('.decision');
              if (!p) {
                p = document.createElement('p');
                card.appendChild(p);
              }
              p.className = `decision ${action}`;
              p.textContent = `${DONE[action]} by you`;
            }
          } catch (err) {
            say(err.message, false);
          } finally {
            refresh();
          }
        });
      }
      refresh();
    }
  }

  // A class search over the per-class table: rows whose class name does not contain the text hide.
  function classSearch() {
    for (const input of document.querySelectorAll('input.class-search')) {
      const table = document.getElementById(input.getAttribute('aria-controls'));
      if (!table) continue;
      input.addEventListener('input', () => {
        const q = input.value.trim().toLowerCase();
        for (const tr of table.tBodies[0].rows)
          tr.hidden = q !== '' && !tr.cells[0].textContent.toLowerCase().includes(q);
      });
    }
  }

  function autosubmit() {
    for (const el of document.querySelectorAll('select.autosubmit')) {
      el.addEventListener('change', () => el.form.submit());
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    if (window.vegaEmbed) charts();
    sortableTables();
    classSearch();
    galleries();
    autosubmit();
  });
})();
