// The timeline's model: rt.trace() events -> one record per task, its place
// in the tree and its states over time. Pure (no DOM, no runtime): the page
// feeds it live events, a replay feeds it a saved trace, and the Node tests
// feed it events recorded on a virtual clock.

/** What a task is doing over a stretch of time: the codes of a record's
 *  segments. */
export const STATE = Object.freeze({
  READY: 0,      // made, not yet stepped (or put back by a yield)
  RUNNING: 1,    // a step is under way
  SLEEP: 2,      // waiting on a timer
  AWAIT: 3,      // waiting on another task or future
  CANCELLING: 4, // asked to cancel, not ended yet
  WAITING: 5,    // a future (a group's exit, a gather) waiting on its tasks
});
export const STATE_NAMES = ['ready', 'running', 'waiting on a timer', 'waiting on a task', 'cancelling', 'waiting on its tasks'];

const TYPES = new Set(['created', 'member', 'step', 'suspended', 'cancel', 'ended']);
const FINAL = new Set(['done', 'failed', 'cancelled']);

/** Checks that `json` is what rec.toJSON() gives (a saved trace); returns
 *  its events, or throws an Error saying what is wrong. */
export function traceEvents(json) {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error('a trace is an object {version: 1, events: [...]} (what rec.toJSON() gives)');
  }
  if (json.version !== 1) throw new Error(`unknown trace version ${JSON.stringify(json.version)} (this page reads version 1)`);
  if (!Array.isArray(json.events)) throw new Error('the trace has no events array');
  json.events.forEach((e, i) => {
    const bad = (why) => new Error(`event ${i}: ${why}: ${JSON.stringify(e)?.slice(0, 120)}`);
    if (e === null || typeof e !== 'object') throw bad('not an object');
    if (!TYPES.has(e.type)) throw bad('unknown type');
    if (!Number.isInteger(e.task) || e.task < 1) throw bad('task is not an id');
    if (typeof e.time !== 'number' || !Number.isFinite(e.time)) throw bad('time is not a number');
    if (i && e.time < json.events[i - 1].time) throw bad('time goes backwards');
    if (e.type === 'ended' && !FINAL.has(e.state)) throw bad('unknown final state');
  });
  return json.events;
}

/** One task (or future) as the events told it. */
function record(id, time) {
  return {
    id,
    name: `#${id}`,
    type: 'Task',     // 'Task' | 'Future'
    parent: null,     // the task whose step made it
    container: null,  // its group's or gather's future
    containerType: null,
    kind: null,       // for a future: 'group' | 'gather' once a task joins it
    created: time,
    ended: null,      // time it ended, null while pending
    state: 'pending', // 'pending' | 'done' | 'failed' | 'cancelled'
    error: null,      // 'Type: message' when failed
    message: null,    // the cancel message when cancelled
    waitingOn: null,  // 'sleep' | 'task' | 'yield' | null
    awaiting: null,   // id it awaits
    until: null,      // its timer's deadline
    cancels: 0,       // cancel requests seen
    steps: 0,
    segT: [time],     // start time of each segment
    segS: [STATE.READY], // its STATE code
    coroutine: null,  // its C coroutine's name (null for a JS task)
    seq: 0,           // its index in model.list
    up: null,         // the id it hangs under in the rows now, null: a root
    row: null,        // its entry in rows(), made once
    result: undefined, // a C coroutine's result, once done (null: None)
  };
}

// Puts t into list (ordered by seq) at its place; usually the end.
function insertBySeq(list, t) {
  if (!list.length || list[list.length - 1].seq < t.seq) {
    list.push(t);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].seq < t.seq) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, t);
}

export class TimelineModel {
  /** Events of tasks with a lower id are ignored: the page's Clear starts a
   *  model above every task made before it (ids only grow). */
  since;
  /** id -> record */
  tasks = new Map();
  /** records in the order they were first seen */
  list = [];
  /** bumped when the tree changes (a task made, or moved into a container) */
  structure = 0;
  /** bumped on every event */
  version = 0;
  /** tasks not ended yet */
  pending = 0;
  /** the task of the last step event (who prints now, during a pump) */
  lastStep = null;
  /** first and last event times */
  start = Infinity;
  end = -Infinity;
  #rows = null;
  #rowsKey = '';
  // The tree the rows walk, kept up to date as events come so that a
  // change costs a move, not a rebuild of 10,000 rows' worth of maps.
  #roots = [];
  #kids = new Map();    // id -> its children, in first-seen order
  #orphans = new Map(); // id not seen yet -> the tasks that will hang under it

  #get(id, time) {
    let t = this.tasks.get(id);
    if (!t) {
      t = record(id, time);
      t.seq = this.list.length;
      this.tasks.set(id, t);
      this.list.push(t);
      this.#roots.push(t);
      this.pending++;
      this.structure++;
      const waiting = this.#orphans.get(id);
      if (waiting) {
        this.#orphans.delete(id);
        for (const c of waiting) this.#place(c);
      }
    }
    return t;
  }

  // Moves t to where rowParent(t) says (a root while that task is unseen,
  // or where hanging it would close a cycle of parents: bad input only).
  #place(t) {
    const want = t.container ?? t.parent;
    let up = this.rowParent(t);
    if (up === null && want !== null && want !== t.id) {
      let waiting = this.#orphans.get(want);
      if (!waiting) this.#orphans.set(want, (waiting = []));
      if (!waiting.includes(t)) waiting.push(t);
    }
    for (let a = up; a !== null; a = this.tasks.get(a).up) {
      if (a === t.id) {
        up = null;
        break;
      }
    }
    if (up === t.up) return; // #get placed every record: it is in one list
    const from = t.up === null ? this.#roots : this.#kids.get(t.up);
    const i = from.lastIndexOf(t);
    if (i >= 0) from.splice(i, 1);
    let to = this.#roots;
    if (up !== null) {
      to = this.#kids.get(up);
      if (!to) this.#kids.set(up, (to = []));
    }
    insertBySeq(to, t);
    t.up = up;
  }

  // Starts a segment in state s at time (replaces one that began then).
  #segment(t, time, s) {
    const n = t.segT.length;
    if (n && t.segT[n - 1] === time) {
      t.segS[n - 1] = s;
      if (n > 1 && t.segS[n - 2] === s) {
        t.segT.pop();
        t.segS.pop();
      }
    } else if (!n || t.segS[n - 1] !== s) {
      t.segT.push(time);
      t.segS.push(s);
    }
  }

  /** Applies one event (as rt.trace() gives it). */
  constructor({ since = 0 } = {}) {
    this.since = since;
  }

  apply(e) {
    if (e.task < this.since) return;
    this.version++;
    if (e.time < this.start) this.start = e.time;
    if (e.time > this.end) this.end = e.time;
    const t = this.#get(e.task, e.time);
    switch (e.type) {
      case 'created':
        t.name = e.name || `#${e.task}`;
        t.type = e.taskType === 'Future' ? 'Future' : 'Task';
        t.parent = e.parent ?? null;
        t.coroutine = typeof e.coroutine === 'string' ? e.coroutine : null;
        t.created = e.time;
        t.segT = [e.time];
        t.segS = [t.type === 'Future' ? STATE.WAITING : STATE.READY];
        this.#place(t);
        this.structure++;
        break;
      case 'member': {
        t.container = e.container;
        t.containerType = e.containerType;
        const c = this.#get(e.container, e.time);
        c.kind = e.containerType;
        this.#place(t);
        this.structure++;
        break;
      }
      case 'step':
        this.lastStep = t.id;
        t.steps++;
        t.waitingOn = null;
        t.awaiting = null;
        t.until = null;
        this.#segment(t, e.time, t.cancels ? STATE.CANCELLING : STATE.RUNNING);
        break;
      case 'suspended':
        t.waitingOn = e.waitingOn;
        t.awaiting = e.awaiting ?? null;
        t.until = e.until ?? null;
        this.#segment(t, e.time, t.cancels ? STATE.CANCELLING
          : e.waitingOn === 'sleep' ? STATE.SLEEP : e.waitingOn === 'task' ? STATE.AWAIT : STATE.READY);
        break;
      case 'cancel':
        t.cancels++;
        if (t.state === 'pending') this.#segment(t, e.time, STATE.CANCELLING);
        break;
      case 'ended':
        if (t.state === 'pending') this.pending--;
        t.state = e.state;
        t.ended = e.time;
        t.error = e.error ?? null;
        t.message = e.message ?? null;
        // A C coroutine's result; undefined when the trace has none.
        t.result = e.result === null || ['number', 'string'].includes(typeof e.result) ? e.result : undefined;
        t.waitingOn = null;
        t.awaiting = null;
        t.until = null;
        break;
      default:
        break;
    }
  }

  applyAll(events) {
    for (const e of events) this.apply(e);
    return this;
  }

  /** The id of the row t hangs under: its group's or gather's future when
   *  it joined one, else the task that made it; null for a root. */
  rowParent(t) {
    const up = t.container ?? t.parent;
    return up !== null && up !== t.id && this.tasks.has(up) ? up : null;
  }

  /** Every task's children (by row parent), in the order first seen:
   *  {roots, kids: id -> children}. Live: do not change them. */
  children() {
    return { roots: this.#roots, kids: this.#kids };
  }

  /** The rows to draw, depth first: [{task, depth, hasChildren}], without
   *  the descendants of the ids in `collapsed`. Cached until the tree or
   *  the collapsed set changes; a row object is its task's for good, and
   *  is updated in place. */
  rows(collapsed = new Set()) {
    const key = `${this.structure}|${[...collapsed].join(',')}`;
    if (this.#rows && key === this.#rowsKey) return this.#rows;
    const rows = [];
    const stack = [];
    for (let i = this.#roots.length - 1; i >= 0; i--) stack.push(this.#roots[i], 0);
    while (stack.length) {
      const depth = stack.pop();
      const t = stack.pop();
      const k = this.#kids.get(t.id);
      const row = t.row ?? (t.row = { task: t, depth: 0, hasChildren: false }); // reused: no garbage per rebuild
      row.depth = depth;
      row.hasChildren = k !== undefined && k.length > 0;
      rows.push(row);
      if (!k || collapsed.has(t.id)) continue;
      for (let i = k.length - 1; i >= 0; i--) stack.push(k[i], depth + 1);
    }
    this.#rows = rows;
    this.#rowsKey = key;
    return rows;
  }

  /** The tree as plain data (for tests): [{id, name, type, state, error,
   *  message, children: [...]}] from the roots. */
  tree() {
    const { roots, kids } = this.children();
    const seen = new Set();
    const node = (t) => (seen.add(t.id), {
      id: t.id, name: t.name, type: t.type, kind: t.kind, state: t.state, error: t.error, message: t.message,
      children: (kids.get(t.id) ?? []).filter((c) => !seen.has(c.id)).map(node),
    });
    return roots.map(node);
  }

  /** Index of the segment covering time in t (binary search); -1 before it. */
  static segmentAt(t, time) {
    let lo = 0;
    let hi = t.segT.length - 1;
    if (hi < 0 || time < t.segT[0]) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (t.segT[mid] <= time) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** Who awaits task id now, and who awaits them (asyncio's call graph):
 *  {task, awaitedBy: [...]}, from what each pending task last waited on. A
 *  task in a group or gather is awaited by those awaiting its container. */
export function callGraph(model, id) {
  const pending = model.list.filter((t) => t.state === 'pending' && t.awaiting !== null);
  const node = (t, seen) => ({
    task: t,
    awaitedBy: pending.filter((w) => !seen.has(w.id) && (w.awaiting === t.id || (t.container !== null && w.awaiting === t.container)))
      .map((w) => node(w, new Set([...seen, w.id]))),
  });
  const t = model.tasks.get(id);
  return t ? node(t, new Set([id])) : null;
}

/** The tree as indented text, one line per task: name, type, final state
 *  (and error); C tasks' generated names (Task-12) read "Task-*" so that
 *  runs compare whatever ran before them. */
export function outline(model, { anonymous = true } = {}) {
  const lines = [];
  const walk = (n, depth) => {
    const name = anonymous ? n.name.replace(/^Task-\d+$/, 'Task-*') : n.name;
    const kind = n.type === 'Future' ? ` (${n.kind ?? 'future'})` : '';
    const end = n.state === 'failed' ? `failed ${n.error}` : n.state;
    lines.push(`${'  '.repeat(depth)}${name}${kind}: ${end}`);
    n.children.forEach((c) => walk(c, depth + 1));
  };
  model.tree().forEach((n) => walk(n, 0));
  return lines;
}
