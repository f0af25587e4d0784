/**
 * `npm run bench [topic…]`: every benchmark in turn, each printing its figures next to a
 * baseline measured in the same run. Not part of `npm test`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TOPICS = ['coco', 'metrics', 'ingest', 'findings', 'vectors', 'umap', 'bot', 'board'];

async function main() {
  const wanted = process.argv.slice(2);
  const topics = wanted.length ? wanted : TOPICS;
  for (const topic of topics) {
    const file = fileURLToPath(new URL(`./${topic}.ts`, import.meta.url));
    if (!existsSync(file)) {
      console.log(`\n## ${topic}: no benchmark file`);
      continue;
    }
    console.log(`\n## ${topic}`);
    const started = performance.now();
    const mod = (await import(file)) as { main?: () => Promise<void> };
    if (typeof mod.main !== 'function') throw new Error(`test/bench/${topic}.ts exports no main()`);
    await mod.main();
    console.log(`(${topic}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
