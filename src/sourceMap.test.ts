// The README's source map tells the truth about the tree: every file and folder it names exists (under
// the part of the tree its line belongs to, or, for a reference such as "leaves from settings.ts",
// elsewhere in the repository), and every folder of src/ is in it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const map = /## Source map\n\n```\n([\s\S]*?)\n```/.exec(readme)?.[1] ?? '';

/** Every path below `dir`, relative to it. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix)).flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    return statSync(join(dir, rel)).isDirectory() ? [`${rel}/`, ...walk(dir, rel)] : [rel];
  });
}

/** The names the map gives, each with the top-level part of the tree whose lines name it (src/engine/, docs/, …). */
function namedPaths(): { root: string; name: string }[] {
  const out: { root: string; name: string }[] = [];
  let root = '';
  for (const line of map.split('\n')) {
    const top = /^([\w.-]+(?:\/[\w.-]+)*\/)/.exec(line);
    if (top) root = top[1]!;
    const rest = top ? line.slice(top[1]!.length) : line;
    for (const m of rest.matchAll(/(?<![\w./-])([\w-]+(?:\.[\w]+)+|[\w-]+\/)(?![\w/])/g)) {
      const name = m[1]!;
      // Only source files and folders: ".ts", ".tsx", ".mjs", ".py", ".md" and "dir/".
      if (name.endsWith('/') || /\.(ts|tsx|mjs|py|md)$/.test(name)) out.push({ root, name });
    }
  }
  return out;
}

describe("the README's source map", () => {
  it('is found, and names only files and folders that exist in the part of the tree it describes', () => {
    expect(map.length).toBeGreaterThan(500);
    const named = namedPaths();
    expect(named.length).toBeGreaterThan(60);
    const trees = new Map<string, string[]>();
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
    const everywhere = new Set(tracked.flatMap((f) => f.split('/').map((part, i, parts) => (i < parts.length - 1 ? `${part}/` : part))));
    const missing = named.filter(({ root, name }) => {
      if (!trees.has(root)) trees.set(root, existsSync(join(ROOT, root)) ? walk(join(ROOT, root)) : []);
      const paths = trees.get(root)!;
      return !paths.some((p) => p === name || p.endsWith(`/${name}`)) && !everywhere.has(name);
    });
    expect(missing.map(({ root, name }) => `${root}${name}`)).toEqual([]);
  });

  it('names every folder of src/ (fixture data aside)', () => {
    const folders = walk(join(ROOT, 'src')).filter((p) => p.endsWith('/') && !p.includes('fixtures/') && !p.includes('__'));
    const named = new Set(namedPaths().map(({ name }) => name));
    const tops = map.split('\n').map((l) => /^src\/([\w-]+\/)/.exec(l)?.[1]).filter(Boolean);
    expect(folders.filter((f) => !named.has(f.split('/').at(-2)! + '/') && !tops.includes(f))).toEqual([]);
  });
});
