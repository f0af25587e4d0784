// Loupe projector: fetches the columnar projection, draws it on canvas with vega-lite, turns clicks
// into row pages and brushes into a selection for the action bar.
(() => {
  const MAX_SELECTION = 5000;

  // A labeled image with no ground-truth box has no class, but it is not unlabeled.
  function labelName(d, i, names) {
    if (d.label[i] >= 0) return names[d.label[i]];
    return d.correct[i] >= 0 ? 'no objects' : 'unlabeled';
  }

  function category(colorBy, d, i, names) {
    if (colorBy === 'label') return labelName(d, i, names);
    if (colorBy === 'predicted') return d.predicted[i] >= 0 ? names[d.predicted[i]] : '–';
    if (colorBy === 'correct')
      return d.correct[i] === 1 ? 'correct' : d.correct[i] === 0 ? 'incorrect' : 'unlabeled';
    return d.decision ? d.decision[i] : 'none';
  }

  async function start(host) {
    const target = host.querySelector('.vega-target');
    const section = document.querySelector('section.gallery');
    const status = section?.querySelector('.status');
    const colorBy = host.dataset.color;
    const res = await fetch(host.dataset.src, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`projection request failed (${res.status})`);
    const d = await res.json();
    if (d.n === 0) {
      document.querySelector('.projector-empty')?.removeAttribute('hidden');
      return;
    }
    const names = d.classNames;
    const note = document.querySelector('.projector-note');
    if (note && d.total > d.n) {
      note.textContent = `Showing ${d.n.toLocaleString()} of ${d.total.toLocaleString()} points (an even sample by row order).`;
      note.removeAttribute('hidden');
    }
    const points = new Array(d.n);
    for (let i = 0; i < d.n; i++) {
      points[i] = {
        x: d.x[i],
        y: d.y[i],
        rowId: d.rowId[i],
        id: d.id[i],
        label: labelName(d, i, names),
        predicted: d.predicted[i] >= 0 ? names[d.predicted[i]] : '–',
        c: category(colorBy, d, i, names),
      };
    }
    const spec = JSON.parse(host.dataset.spec);
    spec.mark.size = d.n > 50000 ? 4 : d.n > 10000 ? 8 : 24;
    spec.datasets = { points };
    const t0 = performance.now();
    const { view } = await window.loupeEmbed(target, spec, { tooltip: { theme: 'light' } });
    host.dataset.renderMs = String(Math.round(performance.now() - t0));
    host.dataset.points = String(d.n);
    host.setAttribute('data-rendered', 'true');
    // A handle for the browser tests and for poking at the chart from the console.
    window.loupeProjector = { view, points };

    // A thumbnail of the point under the pointer; the media route serves any row's image.
    const hover = document.createElement('img');
    hover.className = 'projector-hover';
    hover.alt = '';
    hover.hidden = true;
    hover.addEventListener('error', () => {
      hover.hidden = true;
    });
    host.appendChild(hover);
    view.addEventListener('mouseover', (event, item) => {
      const rowId = item?.datum?.rowId;
      if (!Number.isInteger(rowId)) return;
      const src = `/media/rows/${rowId}/thumb/96`;
      if (!hover.src.endsWith(src)) hover.src = src;
      const box = host.getBoundingClientRect();
      hover.style.left = `${Math.min(event.clientX - box.left + 16, box.width - 110)}px`;
      hover.style.top = `${event.clientY - box.top + 16}px`;
      hover.hidden = false;
    });
    view.addEventListener('mouseout', () => {
      hover.hidden = true;
    });

    view.addEventListener('click', (event, item) => {
      const rowId = item?.datum?.rowId;
      if (!Number.isInteger(rowId) || event.shiftKey) return;
      window.location.assign(`/rows/${rowId}?run=${encodeURIComponent(host.dataset.run)}`);
    });

    view.addSignalListener('brush', (_name, value) => {
      const xs = value?.x;
      const ys = value?.y;
      let rows = [];
      if (xs && ys) {
        const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
        const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
        for (const p of points) {
          if (p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1) rows.push(p.rowId);
        }
      }
      const over = rows.length > MAX_SELECTION;
      if (over) rows = rows.slice(0, MAX_SELECTION);
      section?.dispatchEvent(new CustomEvent('loupe:select', { detail: rows }));
      if (status) {
        status.textContent = over ? `Only the first ${MAX_SELECTION} brushed points are selected.` : '';
        status.className = 'status';
      }
    });

    const search = document.querySelector('input.highlight');
    const known = new Set(points.map((p) => p.c));
    const applyHighlight = () => {
      const v = search.value.trim();
      view.signal('highlight', known.has(v) ? v : '').runAsync();
    };
    search?.addEventListener('input', applyHighlight);
    // Enter would submit the colour form and reload the page, losing the highlight.
    search?.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      applyHighlight();
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    const host = document.querySelector('.projector[data-src]');
    if (!host) return;
    start(host).catch((err) => {
      host.textContent = `Projector failed: ${err.message}`;
      console.error(err);
    });
  });
})();
