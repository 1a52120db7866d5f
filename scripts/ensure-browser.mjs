// Makes sure the e2e tests have a Chromium before Playwright starts: uses one that is there,
// else installs Debian's package (as root), else Playwright's own; otherwise stops with a message
// saying what to install. Run by `npm run test:e2e`.
import { spawnSync } from 'node:child_process';
import { findChromium, HOW_TO_GET_CHROMIUM } from './find-chromium.mjs';

function run(command, args) {
  console.log(`ensure-browser: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

function report(found) {
  console.log(`ensure-browser: using ${found.path} (${found.source})`);
}

let found = findChromium();
if (found) {
  report(found);
  process.exit(0);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (isRoot && hasApt) {
  // The package index may be empty on a fresh machine; update once, then install.
  if (!run('apt-get', ['install', '-y', '-q', 'chromium'])) {
    run('apt-get', ['update', '-q']);
    run('apt-get', ['install', '-y', '-q', 'chromium']);
  }
  found = findChromium();
}
if (!found) {
  run('npx', ['playwright', 'install', 'chromium']);
  found = findChromium();
}
if (!found) {
  console.error(`ensure-browser: ${HOW_TO_GET_CHROMIUM}`);
  process.exit(1);
}
report(found);
