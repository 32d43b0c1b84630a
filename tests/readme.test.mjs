// README.md's examples, followed the way a reader would: in a new project
// outside the repository, top to bottom. Every fenced block carries a
// directive on the line before it:
//   <!-- readme-test: run -->            a js block is run with node; a sh
//                                         block with bash, in the project
//   <!-- readme-test: file NAME -->      the block is saved as NAME there
//   <!-- readme-test: the npm tarball, next to the project -->
//                                         the install command, run with the
//                                         packed tarball put where it says
//   <!-- readme-test: npm scripts -->    commands for a clone (`npm test`
//                                         cannot run inside npm test): each
//                                         must be a script of package.json
// A ```text block right after a run js block is its exact output. A block
// with no directive fails the test, so no example goes unchecked.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, checkBuild, cleanEnv, removeDir, run, said, tempDir } from './package/pack.mjs';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));

/** The fenced blocks, in order: {lang, code, directive, line}. */
export function readBlocks(text) {
  const blocks = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    const directive = /^<!-- readme-test: (.+?) -->$/.exec(lines[i - 1] ?? '')?.[1] ?? null;
    blocks.push({ lang: open[1], code: `${lines.slice(i + 1, end).join('\n')}\n`, directive, line: i + 1 });
    i = end;
  }
  return blocks;
}

let dir;
after(() => removeDir(dir));

test('every code block in the README runs as written and prints what the README says', async (t) => {
  checkBuild();
  dir = tempDir('readme');
  const project = join(dir, 'project');
  const blocks = readBlocks(README);
  assert.ok(blocks.length >= 10, `the README has its examples (${blocks.length} blocks found)`);

  // An install without the registry: the package has no dependencies.
  const env = cleanEnv({ npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' });
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO });
  assert.equal(pack.status, 0, said(pack));
  const tarball = JSON.parse(pack.stdout)[0].filename;
  mkdirSync(project);
  const init = await run('npm', ['init', '-y'], { cwd: project, env });
  assert.equal(init.status, 0, said(init));

  let ran = 0;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    const where = `README.md line ${b.line} (\`\`\`${b.lang})`;
    if (b.lang === 'text' && blocks[i - 1]?.directive === 'run' && blocks[i - 1].lang === 'js') continue; // an output
    assert.ok(b.directive, `${where} has no <!-- readme-test: ... --> line before it`);
    if (b.directive === 'the npm tarball, next to the project') {
      assert.match(b.code, new RegExp(`\\./${tarball.replace(/\./g, '\\.')}\\b`), `${where} installs ${tarball}, the name npm pack gives`);
      copyFileSync(join(dir, tarball), join(project, tarball));
      const r = await run('bash', ['-euo', 'pipefail', '-c', b.code], { cwd: project, env });
      assert.equal(r.status, 0, `${where}: ${said(r)}`);
    } else if (b.directive.startsWith('file ')) {
      writeFileSync(join(project, b.directive.slice(5).trim()), b.code);
    } else if (b.directive === 'npm scripts') {
      const commands = b.code.split('\n').filter(Boolean).map((l) => /^npm (?:run )?([\w:-]+)/.exec(l)?.[1]);
      assert.ok(commands.length && commands.every((c) => c && pkg.scripts[c]), `${where}: every command is an npm script of package.json`);
    } else if (b.directive === 'run' && b.lang === 'sh') {
      const r = await run('bash', ['-euo', 'pipefail', '-c', b.code], { cwd: project, env, timeout: 300000 });
      assert.equal(r.status, 0, `${where}: ${said(r)}`);
      t.diagnostic(`${b.code.trim()}: ${(r.ms / 1000).toFixed(1)} s`);
    } else if (b.directive === 'run' && b.lang === 'js') {
      const file = join(project, `example-line-${b.line}.mjs`);
      writeFileSync(file, b.code);
      const r = await run(process.execPath, [file], { cwd: project, env });
      assert.equal(r.status, 0, `${where}: ${said(r)}`);
      const output = blocks[i + 1];
      assert.equal(output?.lang, 'text', `${where}: the README states its output in a \`\`\`text block after it`);
      assert.equal(r.stdout, output.code, `${where} prints what the README says`);
    } else {
      assert.fail(`${where}: unknown directive '${b.directive}'`);
    }
    ran++;
  }
  t.diagnostic(`${ran} blocks checked`);
});

test('the README reader\'s checks can fail: a block without a directive is found', () => {
  const blocks = readBlocks('text\n\n```js\nconsole.log(1)\n```\n\n<!-- readme-test: run -->\n```sh\ntrue\n```\n');
  assert.deepEqual(blocks.map((b) => [b.lang, b.directive, b.line]), [['js', null, 3], ['sh', 'run', 8]]);
});
