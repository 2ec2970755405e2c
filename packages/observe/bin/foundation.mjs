#!/usr/bin/env node
// The `foundation` command line (see src/cli.ts): runs the built package.
import '../dist/cli-main.js';
