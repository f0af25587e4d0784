/**
 * Where long work says how far it got. The CLI draws it (a bar on a terminal, lines otherwise);
 * everything else passes `noProgress`.
 */
export interface Progress {
  /** A new step: its name and, when known, how many units it has. */
  step(name: string, total?: number | null): void;
  /** Units of the current step done so far. */
  update(done: number): void;
}

export const noProgress: Progress = { step() {}, update() {} };
