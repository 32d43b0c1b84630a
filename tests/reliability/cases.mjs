// Runs the cases of a test file each in a child process of its own (with
// --expose-gc), so that a runtime broken by one case cannot disturb the
// next and every case starts from a fresh wasm memory. The file calls
// runCases once: in the parent it defines one test per case; in the child
// (env[caseVar] names the case) it runs that case. A case gets
// log(line), which becomes a diagnostic of its test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** cases: Map or object of name -> async (log) => void. */
export async function runCases(fileUrl, caseVar, cases, { title, timeout, concurrency = 1, before } = {}) {
  const map = cases instanceof Map ? cases : new Map(Object.entries(cases));
  const name = process.env[caseVar];
  if (name !== undefined) {
    await runInChild(map, name);
    return;
  }
  const file = fileURLToPath(fileUrl);
  describe(`${title} (${concurrency} at a time)`, { concurrency }, () => {
    for (const caseName of map.keys()) {
      it(caseName, async (t) => {
        before?.();
        const r = await runChild(file, caseVar, caseName, timeout);
        for (const line of r.stdout.split('\n')) if (line.startsWith('# ')) t.diagnostic(line.slice(2));
        if (r.code !== 0) {
          const why = r.signal ? `was killed (${r.signal}; timeout ${timeout} ms)`
            : r.code === 13 ? 'exited with work pending: the runtime stopped running it (exit code 13)'
              : `failed (exit code ${r.code})`;
          assert.fail(`the case ${why}:\n${r.stderr.trim().slice(-3000)}`);
        }
      });
    }
  });
}

// The child: diagnostics as '# ' lines on stdout, a failure on stderr and
// in the exit code.
async function runInChild(map, name) {
  const fn = map.get(name);
  if (!fn) throw new Error(`no case named ${JSON.stringify(name)}`);
  process.on('uncaughtException', (error) => { // from a pump: the runtime crashed
    process.stderr.write(`uncaught exception (the runtime crashed): ${error?.stack ?? error}\n`);
    process.exit(1);
  });
  try {
    await fn((line) => process.stdout.write(`# ${line}\n`));
    process.exit(0);
  } catch (error) {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  }
}

function runChild(file, caseVar, name, timeout) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, [caseVar]: name };
    delete env.NODE_TEST_CONTEXT; // the child is no test file of node --test
    const child = spawn(process.execPath, ['--expose-gc', file], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s) => { stderr += s; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
