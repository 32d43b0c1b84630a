// Headless Chromium for the browser tests: Debian's, driven by
// playwright-core, which downloads no browser.
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

function chromiumPath() {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('chromium is not installed: apt-get install -y chromium (npm test does it as root)');
}

/** A launched headless Chromium; close() it when done. */
export function launchChromium() {
  return chromium.launch({ executablePath: chromiumPath() });
}
