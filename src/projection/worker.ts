// The UMAP worker thread: fitting and placing points is seconds to minutes of pure JS, kept off
// the thread that serves requests. One fitted layout per worker.
import { type Handler, serveRequests } from '../vectors/rpc.ts';
import { type UmapFitInput, type UmapLayout, fitUmap } from './umap.ts';

let layout: UmapLayout | null = null;

const handlers: Record<string, Handler> = {
  fit: (p: UmapFitInput) => {
    layout = fitUmap(p);
    const embedding = layout.embedding.slice();
    return { result: { embedding }, transfer: [embedding.buffer] };
  },
  transform: (p: { vectors: Float32Array }) => {
    if (!layout) throw new Error('transform before fit');
    const coords = layout.transform(p.vectors);
    return { result: { coords }, transfer: [coords.buffer] };
  },
};

serveRequests(handlers);
