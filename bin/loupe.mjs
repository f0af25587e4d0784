#!/usr/bin/env node
// The package's bin: run the TypeScript CLI through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
await import('./loupe.ts');
