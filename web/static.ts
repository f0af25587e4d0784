import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The root folder of an installed package (their `exports` hide package.json, so walk up from the entry). */
function packageDir(name: string): string {
  const entry = require.resolve(name);
  const marker = `${sep}node_modules${sep}${name}${sep}`;
  const at = entry.lastIndexOf(marker);
  if (at < 0) throw new Error(`cannot locate the installed package ${name} (resolved to ${entry})`);
  return entry.slice(0, at + marker.length - 1);
}

/**
 * vega-interpreter ships only as an ES module importing vega-util; the board loads vega as a
 * classic script, so the same code is served wrapped to read vega-util's exports from the
 * `vega` global. It lets vega evaluate expressions without `eval`, which the CSP forbids.
 */
export function wrapInterpreter(source: string): string {
  const importLine = /^import \{([^}]*)\} from 'vega-util';\s*$/m;
  const exportLine = /^export \{ expression as expressionInterpreter \};\s*$/m;
  const imports = importLine.exec(source);
  if (!imports || !exportLine.test(source)) {
    throw new Error('vega-interpreter changed shape: expected one vega-util import and one export');
  }
  const body = source.replace(importLine, '').replace(exportLine, '');
  return `(function () {\nconst {${imports[1]}} = window.vega;\n${body}\nwindow.vegaInterpreter = { expressionInterpreter: expression };\n})();\n`;
}

interface Asset {
  body: string;
  type: string;
}

function loadAssets(): Map<string, Asset> {
  const js = 'text/javascript; charset=utf-8';
  const assets = new Map<string, Asset>();
  const vendor: [string, string, string][] = [
    ['vega.min.js', 'vega', 'build/vega.min.js'],
    ['vega-lite.min.js', 'vega-lite', 'build/vega-lite.min.js'],
    ['vega-embed.min.js', 'vega-embed', 'build/vega-embed.min.js'],
  ];
  for (const [file, pkg, path] of vendor) {
    // The source-map comment would make browsers ask for files we do not serve.
    const body = readFileSync(join(packageDir(pkg), path), 'utf8').replace(
      /\/\/# sourceMappingURL=\S+\s*$/,
      '',
    );
    assets.set(`vendor/${file}`, { body, type: js });
  }
  const interpreter = readFileSync(join(packageDir('vega-interpreter'), 'build/vega-interpreter.js'), 'utf8');
  assets.set('vendor/vega-interpreter.js', {
    body: wrapInterpreter(interpreter.replace(/\/\/# sourceMappingURL=\S+\s*$/, '')),
    type: js,
  });
  for (const [file, type] of [
    ['board.js', js],
    ['relabel.js', js],
    ['projector.js', js],
    ['board.css', 'text/css; charset=utf-8'],
    ['favicon.svg', 'image/svg+xml'],
  ]) {
    assets.set(file, { body: readFileSync(join(here, 'static', file), 'utf8'), type });
  }
  return assets;
}

/**
 * `/static/*`: the board's own script and styles and the chart libraries from node_modules, so
 * the board works with no internet. Read once, on first use.
 *
 * @example
 * app.route('/static', createStaticRoutes());
 */
export function createStaticRoutes(): Hono {
  const app = new Hono();
  let assets: Map<string, Asset> | null = null;
  app.get('/*', (c) => {
    assets ??= loadAssets();
    const name = c.req.path.replace(/^.*?\/static\//, '');
    const asset = assets.get(name);
    if (!asset) return c.text('not found', 404);
    c.header('Content-Type', asset.type);
    c.header('Cache-Control', name.startsWith('vendor/') ? 'public, max-age=86400' : 'no-cache');
    return c.body(asset.body);
  });
  return app;
}
