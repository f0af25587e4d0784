/** The folders the CLI is compiled from. */
export const roots: string[];
/** Newest mtime (ms) of any file under the source roots, plus package.json and tsconfig.json. */
export function newestSource(root: string): number;
