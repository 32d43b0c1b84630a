// npm's prepare: runs on `npm install` in a clone and when npm installs the
// package from git. Both need the wasm module built here, which takes
// Emscripten and CMake; the npm tarball ships it prebuilt and skips this.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

process.chdir(new URL('..', import.meta.url).pathname);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['emcc', 'cmake'].filter((cmd) => !has(cmd));

if (process.env.WASYNCIO_SKIP_PREPARE) process.exit(0);
if (missing.length === 0) {
  const r = spawnSync('bash', ['scripts/build.sh'], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (existsSync('build/wasyncio.mjs') && existsSync('build/wasyncio.wasm')) process.exit(0);
console.error(`wasyncio: installing from git builds the wasm module, which needs ${missing.join(' and ')}, missing here.
  Install them (Debian/Ubuntu: apt-get install emscripten cmake) and install again,
  or install the npm tarball (npm pack in a clone that can build), which ships the module prebuilt.
  WASYNCIO_SKIP_PREPARE=1 skips this step (createRuntime() will then fail until the module is built).`);
process.exit(1);
