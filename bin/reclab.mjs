#!/usr/bin/env node
// The `reclab` command: runs src/cli.ts through tsx so the package needs no build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
