#!/usr/bin/env node
// wasyncio-asyncify-check: looks in a built module for a function that can
// be on a task's stack when it suspends but that Asyncify left out.
//
//   npx wasyncio-asyncify-check build/my_module.wasm
//
// Why: wasyncio modules are built with ASYNCIFY_IGNORE_INDIRECT, so Asyncify
// instruments only the functions that reach a suspension through direct
// calls, plus the ones named in ASYNCIFY_ADD (src/module.json's "asyncifyAdd"
// and your own, wasyncio-cc --asyncify-add=f,g). A function that calls a
// suspending function through a pointer and is in neither would run on past
// the suspension and break the task (a trap, or worse) only when that path
// runs. This check finds it in the binary instead:
//
//   - instrumented: the functions that read Asyncify's state global;
//   - a direct call from an uninstrumented function to an instrumented one
//     (or to the suspending import) is a miss;
//   - so is an indirect call, from an uninstrumented function, of a type
//     that some instrumented function in the table has: the pointer may
//     hold that function. Dispatchers known never to call a suspending
//     function that way (the scheduler calling a task's step, a done
//     callback) are listed in module.json's "asyncifyNeverSuspendThrough";
//     add yours with --never=f,g (a name ending in * is a prefix).
//
// The module needs its function names: link it with --profiling-funcs (or
// -g). Exit status 0 when nothing is missing, 1 with the list, 2 on bad use.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SUSPEND_IMPORT = 'wa_host_fiber_suspend';

/** Reads a wasm binary: its functions (imported and defined, with names,
 *  type indices and, for defined ones, the calls and globals in their
 *  code), table elements and exports. */
export function readWasm(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let p = 0;
  const u8 = () => b[p++];
  const uleb = () => {
    let result = 0, shift = 0, byte;
    do {
      byte = b[p++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  const sleb = () => { // value unused: skipped
    let byte;
    do byte = b[p++]; while (byte & 0x80);
  };
  const name = () => {
    const n = uleb();
    const s = new TextDecoder().decode(b.subarray(p, p + n));
    p += n;
    return s;
  };
  const limits = () => {
    const flags = u8();
    uleb();
    if (flags & 1) uleb();
  };
  const valtype = () => u8();

  if (b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) {
    throw new Error('not a wasm binary (no \\0asm header)');
  }
  p = 8;
  const funcs = []; // {name, type, imported, calls:Set, indirect:Set(type), globals:Set}
  const table = []; // function indices in the table
  const exports = new Map();
  let definedTypes = [];
  let codeStart = null;
  const names = new Map(); // function index -> name (the name section)
  while (p < b.length) {
    const id = u8();
    const size = uleb();
    const end = p + size;
    if (id === 2) {
      for (let n = uleb(), i = 0; i < n; i++) {
        const module = name(), field = name(), kind = u8();
        if (kind === 0) funcs.push({ name: field, module, type: uleb(), imported: true });
        else if (kind === 1) { u8(); limits(); }
        else if (kind === 2) limits();
        else if (kind === 3) { valtype(); u8(); }
        else throw new Error(`import kind ${kind} not understood`);
      }
    } else if (id === 3) {
      definedTypes = Array.from({ length: uleb() }, () => uleb());
    } else if (id === 7) {
      for (let n = uleb(), i = 0; i < n; i++) {
        const field = name(), kind = u8(), index = uleb();
        if (kind === 0) exports.set(field, index);
      }
    } else if (id === 9) {
      readElements(table);
    } else if (id === 10) {
      codeStart = p;
    } else if (id === 0) {
      const section = name();
      if (section === 'name') readNames(end);
    }
    p = end;
  }

  const imported = funcs.length;
  for (const type of definedTypes) funcs.push({ name: null, type, imported: false });
  if (codeStart !== null) {
    p = codeStart;
    const n = uleb();
    for (let i = 0; i < n; i++) {
      const size = uleb();
      const end = p + size;
      Object.assign(funcs[imported + i], readCode(end));
      p = end;
    }
  }
  for (const [index, fn] of names) if (funcs[index]) funcs[index].name = fn;
  return { funcs, table, exports };

  function readElements(out) {
    for (let n = uleb(), i = 0; i < n; i++) {
      const flags = uleb();
      if (flags & 1) { // passive or declarative: not in the table at start
        if (flags & 4) { u8(); skipExprs(); } else { u8(); for (let k = uleb(), j = 0; j < k; j++) uleb(); }
        continue;
      }
      if (flags & 2) uleb(); // table index
      skipConstExpr();
      if (flags & 4) {
        if (flags & 2) u8(); // reftype
        for (let k = uleb(), j = 0; j < k; j++) {
          if (u8() === 0xd2) out.push(uleb()); else uleb();
          u8(); // end
        }
      } else {
        if (flags & 2) u8(); // elemkind
        for (let k = uleb(), j = 0; j < k; j++) out.push(uleb());
      }
    }
  }
  function skipExprs() {
    for (let k = uleb(), j = 0; j < k; j++) skipConstExpr();
  }
  function skipConstExpr() {
    for (;;) {
      const op = u8();
      if (op === 0x0b) return;
      if (op === 0x41 || op === 0x42) sleb();
      else if (op === 0x23 || op === 0xd2) uleb();
      else if (op === 0x43) p += 4;
      else if (op === 0x44) p += 8;
      else if (op === 0xd0) u8();
    }
  }
  function readNames(end) {
    while (p < end) {
      const sub = u8(), size = uleb(), subEnd = p + size;
      if (sub === 1) {
        for (let n = uleb(), i = 0; i < n; i++) {
          const index = uleb();
          names.set(index, name());
        }
      }
      p = subEnd;
    }
  }
  function readCode(end) {
    for (let n = uleb(), i = 0; i < n; i++) { uleb(); valtype(); }
    const calls = new Set(), indirect = new Set(), globals = new Set();
    while (p < end) {
      const op = u8();
      switch (op) {
        case 0x02: case 0x03: case 0x04: { // block type: 0x40, a valtype, or a type index (s33)
          const t = b[p];
          if (t === 0x40 || (t >= 0x6f && t <= 0x7f)) p++; else sleb();
          break;
        }
        case 0x0c: case 0x0d: uleb(); break;
        case 0x0e: for (let k = uleb() + 1; k > 0; k--) uleb(); break;
        case 0x10: case 0x12: calls.add(uleb()); break;
        case 0x11: case 0x13: indirect.add(uleb()); uleb(); break;
        case 0x1c: for (let k = uleb(); k > 0; k--) valtype(); break;
        case 0x20: case 0x21: case 0x22: uleb(); break;
        case 0x23: case 0x24: globals.add(uleb()); break;
        case 0x25: case 0x26: uleb(); break;
        case 0x3f: case 0x40: u8(); break;
        case 0x41: case 0x42: sleb(); break;
        case 0x43: p += 4; break;
        case 0x44: p += 8; break;
        case 0xd0: u8(); break;
        case 0xd2: uleb(); break;
        case 0xfc: {
          const sub = uleb();
          if (sub === 8 || sub === 12 || sub === 14) { uleb(); uleb(); }
          else if (sub === 10) { u8(); u8(); }
          else if (sub === 11) u8();
          else if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) uleb();
          else if (sub > 17) throw new Error(`opcode 0xfc ${sub} not understood`);
          break;
        }
        default:
          if (op >= 0x28 && op <= 0x3e) { uleb(); uleb(); break; } // memarg
          if (op === 0xfd || op === 0xfe || (op >= 0x06 && op <= 0x09) || op === 0x14 || op === 0x15) {
            throw new Error(`opcode 0x${op.toString(16)} not understood (SIMD, threads or exceptions)`);
          }
      }
    }
    return { calls, indirect, globals };
  }
}

/** The functions Asyncify instrumented, and the misses (see the top of
 *  this file). never: names of dispatchers known not to call a suspending
 *  function through a pointer. */
export function checkAsyncify(bytes, { never = [] } = {}) {
  const { funcs, table, exports } = readWasm(bytes);
  if (!funcs.some((f) => !f.imported && f.name)) {
    throw new Error('the module has no function names: link it with --profiling-funcs (or -g)');
  }
  const startUnwind = funcs[exports.get('asyncify_start_unwind')];
  if (!startUnwind) throw new Error('not an Asyncify module (no asyncify_start_unwind export)');
  // Asyncify's own functions use two globals, its state and its data
  // pointer, and only Asyncify's code uses them: a function that uses one is
  // instrumented.
  const runtime = new Set(['asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind',
    'asyncify_stop_rewind', 'asyncify_get_state'].map((e) => exports.get(e)).filter((i) => i !== undefined));
  const state = [...startUnwind.globals].find((g) => [...runtime].every((i) => funcs[i].globals.has(g)));
  if (state === undefined) throw new Error("cannot tell Asyncify's globals");
  const suspend = funcs.findIndex((f) => f.imported && f.name === SUSPEND_IMPORT);
  const instrumented = new Set();
  funcs.forEach((f, i) => {
    if (!f.imported && !runtime.has(i) && f.globals.has(state)) instrumented.add(i);
  });
  const byType = new Map(); // type -> instrumented functions in the table of that type
  for (const i of new Set(table)) {
    if (!instrumented.has(i)) continue;
    const list = byType.get(funcs[i].type) ?? [];
    list.push(funcs[i].name);
    byType.set(funcs[i].type, list);
  }
  // Names, or prefixes ending in * (dynCall_*).
  const neverSet = new Set(never.filter((n) => !n.endsWith('*')));
  const neverPrefixes = never.filter((n) => n.endsWith('*')).map((n) => n.slice(0, -1));
  const isNever = (fn) => neverSet.has(fn) || neverPrefixes.some((prefix) => fn.startsWith(prefix));
  const misses = [];
  funcs.forEach((f, i) => {
    if (f.imported || instrumented.has(i) || runtime.has(i)) return;
    const direct = [...f.calls].filter((c) => instrumented.has(c) || c === suspend).map((c) => funcs[c].name);
    if (direct.length) misses.push({ name: f.name, why: `calls ${direct.join(', ')}, which can suspend, and is not instrumented` });
    if (isNever(f.name)) return;
    for (const t of f.indirect) {
      const targets = byType.get(t);
      if (targets) {
        misses.push({
          name: f.name,
          why: `calls through a pointer of the type of ${targets.slice(0, 4).join(', ')}${targets.length > 4 ? ` and ${targets.length - 4} more` : ''}, which can suspend`,
        });
      }
    }
  });
  return {
    instrumented: [...instrumented].map((i) => funcs[i].name).sort(),
    functions: funcs.filter((f) => !f.imported).length,
    misses,
  };
}

// Run as a command (npx links it from node_modules/.bin), not imported.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const never = [];
  const files = [];
  for (const a of args) {
    if (a === '-h' || a === '--help') {
      console.log('usage: wasyncio-asyncify-check <module.wasm> [--never=f,g]\n(link the module with --profiling-funcs so that it keeps its function names)');
      process.exit(0);
    } else if (a.startsWith('--never=')) never.push(...a.slice(8).split(',').filter(Boolean));
    else files.push(a);
  }
  if (files.length !== 1) {
    console.error('usage: wasyncio-asyncify-check <module.wasm> [--never=f,g]');
    process.exit(2);
  }
  const manifest = JSON.parse(readFileSync(new URL('../src/module.json', import.meta.url), 'utf8'));
  let result;
  try {
    result = checkAsyncify(readFileSync(files[0]), { never: [...manifest.asyncifyNeverSuspendThrough ?? [], ...never] });
  } catch (error) {
    console.error(`wasyncio-asyncify-check: ${files[0]}: ${error.message}`);
    process.exit(2);
  }
  for (const m of result.misses) {
    console.log(`${m.name}: ${m.why}; add it to ASYNCIFY_ADD (wasyncio-cc --asyncify-add=${m.name})`);
  }
  console.log(`${result.instrumented.length} of ${result.functions} functions instrumented; ${result.misses.length} missing`);
  process.exit(result.misses.length ? 1 : 0);
}
