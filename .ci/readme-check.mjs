// CI: the README's TypeScript blocks compile as written, against the workspace's sources.
//
// Every ```ts block of README.md goes into one module, temp/readme/readme.ts, in order: its
// imports at the top (merged), the first block (the tour, which defines Counter and the node
// the later blocks use) at the top level, each later block in a `{ ... }` scope of its own so
// that blocks may reuse names. A block preceded by the line `<!-- readme-check: skip -->` is
// a fragment (`Actor<...>`, `{ ... }`) and is left out. Errors are reported at README lines.
// Usage: node .ci/readme-check.mjs [README.md]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readme = resolve(process.argv[2] ?? join(root, 'README.md'));
const lines = readFileSync(readme, 'utf8').split('\n');
const SKIP = '<!-- readme-check: skip -->';

/** The ```ts blocks: their lines with README line numbers (1-based). */
const blocks = [];
for (let i = 0; i < lines.length; i++) {
  if (lines[i].trim() !== '```ts') continue;
  const skip = i > 0 && lines[i - 1].trim() === SKIP;
  const body = [];
  let j = i + 1;
  for (; j < lines.length && lines[j].trim() !== '```'; j++) body.push({ text: lines[j], line: j + 1 });
  if (!skip) blocks.push(body);
  i = j;
}
if (blocks.length === 0) {
  console.error(`readme-check: no \`\`\`ts blocks in ${readme}`);
  process.exit(1);
}

// Imports are single-line: `import { a, type B } from 'x';` (named) or `import 'x';`.
const IMPORT = /^import\s+\{([^}]*)\}\s+from\s+'([^']+)';?\s*(\/\/.*)?$/;
const imports = new Map(); // module -> Map(local name -> specifier text)
const out = []; // { text, line } — line: the README line, or 0 for generated lines
for (const [n, block] of blocks.entries()) {
  if (n > 0) out.push({ text: '{', line: 0 });
  for (const l of block) {
    const m = IMPORT.exec(l.text.trim());
    if (m) {
      const names = imports.get(m[2]) ?? new Map();
      for (const spec of m[1].split(',').map((s) => s.trim()).filter(Boolean)) {
        const local = spec.replace(/^type\s+/, '').split(/\s+as\s+/).pop();
        // A value import wins over a type-only one of the same name.
        if (!names.has(local) || !spec.startsWith('type ')) names.set(local, spec);
      }
      imports.set(m[2], names);
      out.push({ text: '', line: l.line });
    } else if (l.text.trim().startsWith('import ')) {
      console.error(`${relative(root, readme)}:${l.line}: readme-check takes single-line named imports only: ${l.text}`);
      process.exit(1);
    } else out.push(l);
  }
  if (n > 0) out.push({ text: '}', line: 0 });
}
const head = [...imports].map(([mod, names]) => ({ text: `import { ${[...names.values()].join(', ')} } from '${mod}';`, line: 0 }));
const all = [...head, { text: 'export {};', line: 0 }, ...out];

const dir = join(root, 'temp', 'readme');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'readme.ts'), all.map((l) => l.text).join('\n') + '\n');
writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify({
    extends: '../../tsconfig.base.json',
    // README snippets show handlers' parameters they do not use.
    compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false, rootDir: '../..' },
    files: ['readme.ts'],
  }),
);

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
} catch (e) {
  const report = String(e.stdout ?? '') + String(e.stderr ?? '');
  const at = /^temp\/readme\/readme\.ts\((\d+),(\d+)\): (.*)$/;
  for (const line of report.split('\n')) {
    const m = at.exec(line);
    if (!m) {
      if (line.trim()) console.error(line);
      continue;
    }
    const src = all[Number(m[1]) - 1];
    console.error(src && src.line ? `${relative(root, readme)}:${src.line}:${m[2]}: ${m[3]}` : `temp/readme/readme.ts:${m[1]}:${m[2]}: ${m[3]}`);
  }
  console.error('readme-check: the README has TypeScript that does not compile (see above).');
  process.exit(1);
}
console.log(`readme-check: ${blocks.length} TypeScript blocks of ${relative(root, readme)} compile.`);
