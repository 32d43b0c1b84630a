/*
 * scenario.c: the `scenario {steps}` coroutine, an interpreter for the step
 * language of tests/coroutines/scenario/LANGUAGE.md, written on the public C API so it
 * also shows that API in use. tests/coroutines/scenario/reference.py runs the same
 * language on CPython's asyncio; the differential test compares the two.
 *
 * One run: the root task (called from JavaScript with only `steps`) creates
 * the state all its tasks share, the table from id to task. Every task,
 * root or spawned, runs this same coroutine on its own step list: the root
 * parses the JSON text it is given, and the shared state keeps that tree;
 * a spawned task receives its own list as a node of it, the shared state
 * and, when spawned into a task group, that group.
 *
 * Running a step list gives a status: ST_NORMAL, ST_RETURN (a `return`
 * step ran; its value is in the task's state), or a negative code with the
 * error in the task's indicator. Each construct (group, timeout, try) runs
 * its own exit logic and passes the status outward, which is how `return`
 * and errors unwind through them as they would through Python's `async
 * with` and `try`.
 *
 * The interpreter recurses through two frames per nesting level (the step
 * list, the construct's step), and every frame suspended at an await is
 * saved into the task's Asyncify buffer (4 KiB by default), so that path
 * keeps few locals and no arrays: text is formatted into heap buffers, and
 * each step is its own small function. 30 levels, about the most the JSON
 * parser's nesting limit lets through, fit the default fiber.
 *
 * Any allocation may fail (alloc.c), the runtime's included. The step that
 * needed the memory then fails with MemoryError, which unwinds like any
 * other error (a `try` step can catch it), freeing what each frame holds.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h" /* wa__alloc & co */
#include "json.h"

enum { ST_NORMAL = 0, ST_RETURN = 1 };

/* A `try` keeps the error in flight while its handler and `finally` steps
   run (they may await and raise errors of their own), then puts it back:
   wa_error_fetch / wa_error_restore. */

/* A call that can fail only for want of memory failed: passes on the error
   it set, or raises MemoryError for `what` if it set none. */
static int pass_on_nomem(const char *what) {
  return wa_error_current() ? wa_reraise() : wa__nomem(what);
}

/* ---- text built on the heap ---------------------------------------------- */

/* Lines are built in a wa_text without checks and the outcome checked
   once (sb_print). */

/* A whole number as an integer; otherwise the shortest decimal that reads
   back as the same double, which is Python's repr (and JavaScript's
   String): the fewest significant digits whose correctly rounded %g does.
   Starting at 15 digits would do for normal doubles, but not subnormal
   ones (5e-324 would print as 4.94065645841247e-324). */
static void sb_number(wa_text *b, double x) {
  if (isfinite(x) && x == floor(x)) {
    wa__text_add(b, "%.0f", x);
    return;
  }
  char text[40];
  for (int digits = 1; digits <= 17; digits++) {
    snprintf(text, sizeof text, "%.*g", digits, x);
    if (strtod(text, NULL) == x) break;
  }
  wa__text_add(b, "%s", text);
}

static void sb_value(wa_text *b, const wa_value *v) {
  if (v->kind == WA_NUMBER)
    sb_number(b, v->number);
  else if (v->kind == WA_STRING || v->kind == WA_JSON)
    wa__text_add(b, "%s", v->string ? v->string : "");
  else if (v->kind == WA_BYTES)
    wa__text_add(b, "<%zu bytes>", v->length);
  else
    wa__text_add(b, "None");
}

/* Type(message); an exception group as ExceptionGroup[e1, e2, ...]. */
static void sb_error(wa_text *b, const wa_error *e) {
  if (!wa_error_is_group(e)) {
    wa__text_add(b, "%s(%s)", wa_error_type(e), wa_error_message(e));
    return;
  }
  wa__text_add(b, "ExceptionGroup[");
  for (int i = 0; i < wa_error_count(e); i++) {
    if (i) wa__text_add(b, ", ");
    sb_error(b, wa_error_child(e, i));
  }
  wa__text_add(b, "]");
}

/* Prints the line built in b and frees it; MemoryError when building it
   ran out. */
static int sb_print(wa_text *b) {
  int rc = b->nomem ? wa__nomem("a line of output") : ST_NORMAL;
  if (rc == ST_NORMAL) wa_print("%s", b->s);
  free(b->s);
  return rc;
}

/* ---- state shared by the tasks of one run ------------------------------- */

typedef struct {
  char *id;      /* NULL: a free slot */
  unsigned hash;
  wa_task *task; /* a reference */
} entry;

/* Refcounted: the root's body holds one reference, and every spawned task
   one until its done callback runs (which it does even if the task was
   cancelled before its first step). The root's parsed steps live here, and
   every task of the run reads its own step list in them, so a spawned task
   costs no copy and no parse however big its list. The table (id -> task,
   open addressing, ids are never removed, only remapped) holds its tasks
   until the last reference goes, when no task of the run can look at them. */
/* A synchronization primitive made by a `make` step, by name. */
typedef enum { P_LOCK, P_EVENT, P_SEMAPHORE, P_CONDITION, P_BARRIER, P_QUEUE } prim_kind;
typedef struct prim {
  char *name;
  prim_kind kind;
  const char *type; /* CPython's class name, for messages */
  void *obj;        /* the creator's reference */
  struct prim *next;
} prim;

typedef struct {
  int refs;
  wa_json *tree;
  int count, cap; /* cap: 0 or a power of two, kept at most half full */
  entry *entries;
  prim *prims;    /* a handful: a list */
} shared;

static void prim_free(prim *p) {
  switch (p->kind) {
    case P_LOCK: wa_lock_free(p->obj); break;
    case P_EVENT: wa_event_free(p->obj); break;
    case P_SEMAPHORE: wa_semaphore_free(p->obj); break;
    case P_CONDITION: wa_condition_free(p->obj); break;
    case P_BARRIER: wa_barrier_free(p->obj); break;
    case P_QUEUE: wa_queue_free(p->obj); break;
  }
  free(p->name);
  free(p);
}

static shared *shared_new(wa_json *tree) {
  shared *s = wa__alloc(sizeof *s);
  if (s) *s = (shared){.refs = 1, .tree = tree};
  return s;
}

static void shared_release(shared *s) {
  if (--s->refs > 0) return;
  for (int i = 0; i < s->cap; i++) {
    if (!s->entries[i].id) continue;
    free(s->entries[i].id);
    wa_task_release(s->entries[i].task);
  }
  free(s->entries);
  while (s->prims) {
    prim *next = s->prims->next;
    prim_free(s->prims);
    s->prims = next;
  }
  wa__json_free(s->tree);
  free(s);
}

static void release_shared_cb(wa_task *t, void *arg) { shared_release(arg); }

static unsigned hash_id(const char *id) { /* FNV-1a */
  unsigned h = 2166136261u;
  for (; *id; id++) h = (h ^ (unsigned char)*id) * 16777619u;
  return h;
}

/* id's slot: the one holding it, or the free one where it would go. */
static entry *shared_slot(entry *entries, int cap, const char *id, unsigned h) {
  for (unsigned i = h & (unsigned)(cap - 1);; i = (i + 1) & (unsigned)(cap - 1)) {
    entry *e = &entries[i];
    if (!e->id || (e->hash == h && strcmp(e->id, id) == 0)) return e;
  }
}

static entry *shared_find(shared *s, const char *id) {
  if (!s->cap) return NULL;
  entry *e = shared_slot(s->entries, s->cap, id, hash_id(id));
  return e->id ? e : NULL;
}

/* Doubles the table; out of memory: MemoryError, the table as it was. */
static int shared_grow(shared *s) {
  int cap = s->cap ? 2 * s->cap : 16;
  entry *grown = wa__alloc((size_t)cap * sizeof *grown);
  if (!grown) return wa__nomem("the table of tasks");
  for (int i = 0; i < s->cap; i++)
    if (s->entries[i].id) *shared_slot(grown, cap, s->entries[i].id, s->entries[i].hash) = s->entries[i];
  free(s->entries);
  s->entries = grown;
  s->cap = cap;
  return WA_OK;
}

/* Maps id to t (a new reference), replacing what it mapped to. Out of
   memory: MemoryError, and the table is as it was (perhaps with more room). */
static int shared_put(shared *s, const char *id, wa_task *t) {
  entry *e = shared_find(s, id);
  if (e) {
    wa_task_retain(t);
    wa_task_release(e->task);
    e->task = t;
    return WA_OK;
  }
  if (2 * (s->count + 1) > s->cap && shared_grow(s) < 0) return WA_ERROR;
  char *key = wa__strdup(id);
  if (!key) return wa__nomem("a task id");
  unsigned h = hash_id(id);
  wa_task_retain(t);
  *shared_slot(s->entries, s->cap, id, h) = (entry){key, h, t};
  s->count++;
  return WA_OK;
}

/* ---- per task ------------------------------------------------------------ */

typedef struct {
  wa_task *self;
  shared *sh;
  const wa_json *ret; /* the value of the `return` step that ran */
} task_state;

/* What a stretch of steps runs with; constructs make a modified copy. */
typedef struct {
  task_state *ts;
  wa_group *group;  /* innermost task group, or NULL */
  wa_error *caught; /* the error the enclosing handler caught, or NULL */
} ctx;

static int scenario(wa_task *self, const wa_args *args);
static int run_steps(const ctx *c, const wa_json *steps);

/* ---- errors the interpreter raises --------------------------------------- */

/* A value's JSON text, cut short for messages (a new string), or NULL when
   out of memory. */
static char *excerpt(const wa_json *v) {
  char *text = wa__json_source(v);
  if (text && strlen(text) > 80) strcpy(text + 77, "...");
  return text;
}

/* ---- the steps, built as they are reached -------------------------------- */

/* The root's parse builds the step list, its steps and their arguments; a
   list inside an argument (a spawned task's steps, a group's body) is only
   checked, and built when a check or a run first reaches it (json.h). A
   spawned task's steps are thus built in its own step, not in the root's,
   which would otherwise build all 10,000 tasks of a big scenario at once.
   Which nodes are left lazy depends on where a build began, so whatever
   reads an array's or object's items builds it first: is_steps, is_handlers,
   is_gather_list (and each of its pairs), run_steps (each step). */
enum { LAZY_AT = 2 };

/* Set when building a list ran out of memory (MemoryError raised), so the
   check that wanted it fails with that error, not a ScenarioError. */
static bool build_failed;

/* Builds v's items if they are not yet: WA_OK, or MemoryError. */
static int build(const wa_json *v) {
  /* The tree is the run's, and built only here: the cast is safe. */
  return wa__json_open((wa_json *)v) == 0 ? WA_OK : wa__nomem("the steps");
}

/* build() for a check: false, with build_failed set, when out of memory. */
static bool built(const wa_json *v) {
  if (build(v) == WA_OK) return true;
  build_failed = true;
  return false;
}

/* The errors below quote the offending JSON; without the memory for the
   quote the step fails with MemoryError instead. A check that failed for
   want of memory to build the list it checks passes on that MemoryError. */
static int bad_step(int index, const wa_json *step) {
  if (build_failed) return build_failed = false, WA_ERROR;
  char *text = excerpt(step);
  if (!text) return wa__nomem("an error message");
  int rc = wa_raise("ScenarioError", "step %d: bad step %s", index, text);
  free(text);
  return rc;
}

static int bad_list(const wa_json *steps) {
  if (build_failed) return build_failed = false, WA_ERROR;
  char *text = excerpt(steps);
  if (!text) return wa__nomem("an error message");
  int rc = wa_raise("ScenarioError", "bad step list %s (want a list of steps)", text);
  free(text);
  return rc;
}

/* ScenarioError(unknown task 'x'): the id as Python's repr shows it. */
static int unknown_task(const wa_json *id) {
  if (id->kind == WA_JSON_STRING)
    return wa_raise("ScenarioError", strchr(id->string, '\'') && !strchr(id->string, '"')
                                         ? "unknown task \"%s\"" : "unknown task '%s'",
                    id->string);
  if (id->kind == WA_JSON_NULL) return wa_raise("ScenarioError", "unknown task None");
  if (id->kind == WA_JSON_BOOL)
    return wa_raise("ScenarioError", "unknown task %s", id->boolean ? "True" : "False");
  char *text = excerpt(id);
  if (!text) return wa__nomem("an error message");
  int rc = wa_raise("ScenarioError", "unknown task %s", text);
  free(text);
  return rc;
}

/* ---- argument checks ------------------------------------------------------ */

static bool is_string(const wa_json *v) { return v->kind == WA_JSON_STRING; }
static bool is_number(const wa_json *v) { return v->kind == WA_JSON_NUMBER; }
/* A delay: any number, as asyncio takes it (negative: none). */
static bool is_ms(const wa_json *v) { return is_number(v); }
static bool is_null(const wa_json *v) { return v->kind == WA_JSON_NULL; }

/* A list of lists (each list is checked as a step when it runs). */
static bool is_steps(const wa_json *v) {
  if (v->kind != WA_JSON_ARRAY || !built(v)) return false;
  for (int i = 0; i < v->count; i++)
    if (v->items[i]->kind != WA_JSON_ARRAY) return false;
  return true;
}

/* ---- tasks --------------------------------------------------------------- */

/* The task the id maps to (borrowed), or NULL with a ScenarioError set. */
static wa_task *lookup(const ctx *c, const wa_json *id) {
  entry *e = is_string(id) ? shared_find(c->ts->sh, id->string) : NULL;
  if (!e) unknown_task(id);
  return e ? e->task : NULL;
}

/* A spawned task's arguments (see scenario()), or NULL with the indicator
   set. */
static wa_args *spawn_args(shared *sh, const wa_json *steps, wa_group *group) {
  wa_args *a = wa_args_new();
  if (!a) return pass_on_nomem("a task's arguments"), NULL;
  /* Its steps are a node of sh->tree, which outlives it (see shared). */
  int rc = wa_args_set_pointer(a, "list", (void *)steps);
  if (rc == WA_OK) rc = wa_args_set_pointer(a, "shared", sh);
  if (rc == WA_OK && group) rc = wa_args_set_pointer(a, "group", group);
  if (rc == WA_OK) return a;
  pass_on_nomem("a task's arguments");
  wa_args_free(a);
  return NULL;
}

/* Starts a task named id running steps, into group when not NULL, and maps
   id to it. Returns a new reference, or NULL with the indicator set (the
   group refused it, or memory ran out). */
static wa_task *spawn(const ctx *c, const char *id, const wa_json *steps, wa_group *group) {
  shared *sh = c->ts->sh;
  wa_args *a = spawn_args(sh, steps, group);
  if (!a) return NULL;
  wa_task *t = group ? wa_group_spawn(group, scenario, a, id) : wa_task_spawn(scenario, a, id);
  if (!t) return NULL; /* it freed a */
  int rc = wa_task_add_done_callback(t, release_shared_cb, sh);
  if (rc == WA_OK) sh->refs++; /* the callback's, which it releases */
  rc = rc < 0 ? pass_on_nomem("a done callback") : shared_put(sh, id, t);
  if (rc < 0) {
    /* It has not started (spawning only queues it), so cancelled now it
       ends at its first step without running its body: it never uses sh,
       on which it may hold no reference, nor needs its table entry. */
    wa_task_cancel(t, NULL);
    wa_task_release(t);
    return NULL;
  }
  return t;
}

/* Prints "id -> value" for a task or future that returned. */
static int print_result(const char *id, const wa_task *t) {
  wa_value v;
  int rc = wa_task_result(t, &v);
  if (rc < 0) return rc;
  wa_text b = {0};
  wa__text_add(&b, "%s -> ", id);
  sb_value(&b, &v);
  return sb_print(&b);
}

/* ---- steps: each gets the step (an array whose length the table checked)
   and its 1-based index in its list, for messages ---------------------- */

static int step_log(const ctx *c, const wa_json *step, int index) {
  if (!is_string(step->items[1])) return bad_step(index, step);
  wa_print("%s", step->items[1]->string);
  return ST_NORMAL;
}

static int step_log_time(const ctx *c, const wa_json *step, int index) {
  if (!is_string(step->items[1])) return bad_step(index, step);
  wa_print("%s @%.0f", step->items[1]->string, floor(wa_time() + 0.5));
  return ST_NORMAL;
}

static int step_sleep(const ctx *c, const wa_json *step, int index) {
  if (!is_ms(step->items[1])) return bad_step(index, step);
  int rc = wa_sleep(step->items[1]->number);
  return rc < 0 ? rc : ST_NORMAL;
}

static int step_return(const ctx *c, const wa_json *step, int index) {
  const wa_json *v = step->items[1];
  if (!is_number(v) && !is_string(v)) return bad_step(index, step);
  c->ts->ret = v;
  return ST_RETURN;
}

static int step_raise(const ctx *c, const wa_json *step, int index) {
  const wa_json *type = step->items[1], *msg = step->items[2];
  if (!is_string(type) || !(is_null(msg) || is_string(msg))) return bad_step(index, step);
  return wa_raise(type->string, "%s", is_null(msg) ? "" : msg->string);
}

static int step_spawn(const ctx *c, const wa_json *step, int index) {
  if (!is_string(step->items[1]) || !is_steps(step->items[2])) return bad_step(index, step);
  wa_task *t = spawn(c, step->items[1]->string, step->items[2], c->group);
  if (!t) return wa_reraise();
  wa_task_release(t);
  return ST_NORMAL;
}

static int step_await(const ctx *c, const wa_json *step, int index) {
  wa_task *t = lookup(c, step->items[1]);
  if (!t) return WA_ERROR;
  wa_task_retain(t); /* the table may drop it (a respawned id) meanwhile */
  int rc = wa_task_join(t);
  if (rc == WA_OK) rc = print_result(step->items[1]->string, t);
  wa_task_release(t);
  return rc;
}

static int step_cancel(const ctx *c, const wa_json *step, int index) {
  const wa_json *msg = step->items[2];
  if (!is_null(msg) && !is_string(msg)) return bad_step(index, step);
  wa_task *t = lookup(c, step->items[1]);
  if (!t) return WA_ERROR;
  wa_task_cancel(t, is_null(msg) ? NULL : msg->string);
  return ST_NORMAL;
}

static int step_shield(const ctx *c, const wa_json *step, int index) {
  wa_task *t = lookup(c, step->items[1]);
  if (!t) return WA_ERROR;
  wa_task *outer = wa_shield(t);
  if (!outer) return pass_on_nomem("a shield");
  int rc = wa_task_join(outer);
  if (rc == WA_OK) rc = print_result(step->items[1]->string, outer);
  wa_task_release(outer);
  return rc;
}

static int step_group(const ctx *c, const wa_json *step, int index) {
  if (!is_steps(step->items[1])) return bad_step(index, step);
  ctx inner = *c;
  inner.group = wa_group_new();
  if (!inner.group) return pass_on_nomem("a task group");
  int st = wa_group_enter(inner.group);
  if (st == WA_OK) st = run_steps(&inner, step->items[1]);
  /* A `return` leaves the body normally; the group's exit may still fail. */
  int rc = wa_group_exit(inner.group, st < 0 ? st : WA_OK);
  wa_group_free(inner.group);
  return rc < 0 ? rc : st;
}

/* [[id, steps], ...] */
static bool is_gather_list(const wa_json *v) {
  if (v->kind != WA_JSON_ARRAY || !built(v)) return false;
  for (int i = 0; i < v->count; i++) {
    const wa_json *kid = v->items[i];
    if (kid->kind != WA_JSON_ARRAY || !built(kid) || kid->count != 2 || !is_string(kid->items[0]) ||
        !is_steps(kid->items[1]))
      return false;
  }
  return true;
}

/* "gather -> [v1, v2, ...]" once the gather succeeded: every child
   returned, or (return_exceptions) ended one way or another. */
static int print_gather(wa_task *const *tasks, int n) {
  wa_text b = {0};
  wa__text_add(&b, "gather -> [");
  for (int i = 0; i < n; i++) {
    const wa_error *e = NULL;
    wa_value v;
    if (i) wa__text_add(&b, ", ");
    if (wa_task_cancelled(tasks[i])) {
      /* CPython puts CancelledError(task._cancel_message) in the slot, and
         a task that ended cancelled has that reset to None by its final
         Future.cancel(): the slot never carries the message. */
      wa__text_add(&b, "CancelledError()");
    } else if (wa_task_exception(tasks[i], &e) == WA_OK && e) {
      sb_error(&b, e);
    } else if (wa_task_result(tasks[i], &v) == WA_OK) {
      sb_value(&b, &v);
    }
  }
  wa__text_add(&b, "]");
  return sb_print(&b);
}

/* Spawns the children of a gather into tasks[]; returns how many it
   spawned: all of them, or fewer with the indicator set. Those already
   spawned then run on unawaited, as in Python when making a later one
   raised. */
static int spawn_kids(const ctx *c, const wa_json *kids, wa_task **tasks) {
  int i = 0;
  for (; i < kids->count; i++) { /* plain tasks, even in a group body */
    const wa_json *kid = kids->items[i];
    if (!(tasks[i] = spawn(c, kid->items[0]->string, kid->items[1], NULL))) break;
  }
  return i;
}

static int step_gather(const ctx *c, const wa_json *step, int index) {
  const wa_json *kids = step->items[1];
  if (!is_gather_list(kids) || step->items[2]->kind != WA_JSON_BOOL) return bad_step(index, step);
  int n = kids->count;
  wa_task **tasks = wa__alloc((size_t)(n ? n : 1) * sizeof *tasks);
  if (!tasks) return wa__nomem("the tasks of a gather");
  int spawned = spawn_kids(c, kids, tasks);
  wa_task *all = spawned == n ? wa_gather(tasks, n, step->items[2]->boolean) : NULL;
  int rc = spawned < n ? wa_reraise() : all ? wa_task_join(all) : pass_on_nomem("a gather");
  if (all && rc == WA_OK) rc = print_gather(tasks, n);
  wa_task_release(all);
  for (int i = 0; i < spawned; i++) wa_task_release(tasks[i]);
  free(tasks);
  return rc;
}

static int step_timeout(const ctx *c, const wa_json *step, int index) {
  const wa_json *ms = step->items[1];
  if (!(is_null(ms) || is_ms(ms)) || !is_steps(step->items[2])) return bad_step(index, step);
  wa_timeout *to = wa_timeout_new(is_null(ms) ? INFINITY : ms->number);
  if (!to) return pass_on_nomem("a timeout");
  int st = wa_timeout_enter(to);
  if (st < 0) {
    wa_timeout_free(to);
    return st;
  }
  st = run_steps(c, step->items[2]);
  int rc = wa_timeout_exit(to, st < 0 ? st : WA_OK);
  wa_timeout_free(to);
  return rc < 0 ? rc : st;
}

static int step_uncancel(const ctx *c, const wa_json *step, int index) {
  wa_task_uncancel(c->ts->self);
  return ST_NORMAL;
}

/* {key: steps, ...} */
static bool is_handlers(const wa_json *v) {
  if (v->kind != WA_JSON_OBJECT || !built(v)) return false;
  for (int i = 0; i < v->count; i++)
    if (!is_steps(v->items[i])) return false;
  return true;
}

/* The first handler (in the object's order) whose key matches e. */
static const wa_json *find_handler(const wa_json *handlers, const wa_error *e) {
  for (int i = 0; i < handlers->count; i++) {
    const char *key = handlers->keys[i];
    if (strcmp(key, "finally") == 0) continue;
    if (strcmp(key, "*") == 0 || strcmp(key, wa_error_type(e)) == 0 ||
        (strcmp(key, "ExceptionGroup") == 0 && wa_error_is_group(e)))
      return handlers->items[i];
  }
  return NULL;
}

/* Runs a handler for the error in the indicator, which it takes over. */
static int run_handler(const ctx *c, const wa_json *handler) {
  ctx inner = *c;
  inner.caught = wa_error_fetch();
  int st = run_steps(&inner, handler);
  wa_error_release(inner.caught);
  return st;
}

/* `finally` steps after an outcome st. Their own error or `return`
   replaces st; otherwise st goes on, its error restored, and so does the
   value of a `return` in flight: a `return` inside the finally steps whose
   unwinding an error replaced, then caught, must not change it. */
static int run_finally(const ctx *c, const wa_json *steps, int st) {
  wa_error *pending = st < 0 ? wa_error_fetch() : NULL;
  const wa_json *ret = c->ts->ret;
  int fst = run_steps(c, steps);
  if (fst != ST_NORMAL) {
    wa_error_release(pending);
    return fst;
  }
  c->ts->ret = ret;
  return pending ? wa_error_restore(pending) : st;
}

static int step_try(const ctx *c, const wa_json *step, int index) {
  const wa_json *handlers = step->items[2];
  if (!is_steps(step->items[1]) || !is_handlers(handlers)) return bad_step(index, step);
  int st = run_steps(c, step->items[1]);
  const wa_json *handler = st < 0 ? find_handler(handlers, wa_error_current()) : NULL;
  if (handler) st = run_handler(c, handler);
  const wa_json *fin = wa__json_get(handlers, "finally");
  return fin ? run_finally(c, fin, st) : st;
}

static int step_log_error(const ctx *c, const wa_json *step, int index) {
  if (!c->caught) return wa_raise("ScenarioError", "step %d: log_error outside a handler", index);
  wa_text b = {0};
  sb_error(&b, c->caught);
  return sb_print(&b);
}

static int step_reraise(const ctx *c, const wa_json *step, int index) {
  if (!c->caught) return wa_raise("ScenarioError", "step %d: reraise outside a handler", index);
  return wa_error_restore(wa_error_retain(c->caught));
}

/* ---- the step list -------------------------------------------------------- */

/* ---- steps on synchronization primitives ---------------------------------- */

static const struct {
  const char *name, *type;
  prim_kind kind;
  int order; /* a queue's */
} prim_kinds[] = {
    {"lock", "Lock", P_LOCK, 0},
    {"event", "Event", P_EVENT, 0},
    {"semaphore", "Semaphore", P_SEMAPHORE, 0},
    {"bounded_semaphore", "BoundedSemaphore", P_SEMAPHORE, 0},
    {"condition", "Condition", P_CONDITION, 0},
    {"barrier", "Barrier", P_BARRIER, 0},
    {"queue", "Queue", P_QUEUE, WA_QUEUE_FIFO},
    {"lifo_queue", "LifoQueue", P_QUEUE, WA_QUEUE_LIFO},
    {"priority_queue", "PriorityQueue", P_QUEUE, WA_QUEUE_PRIORITY},
};

/* The primitive a step names, when it is of one of the kinds in `kinds`
   (a bit mask of 1 << prim_kind); NULL with a ScenarioError otherwise. */
static prim *find_prim(const ctx *c, const wa_json *step, unsigned kinds) {
  const wa_json *name = step->items[1];
  if (!is_string(name)) return wa_raise("ScenarioError", "step %s: a primitive's name must be a string", step->items[0]->string), NULL;
  for (prim *p = c->ts->sh->prims; p; p = p->next) {
    if (strcmp(p->name, name->string) != 0) continue;
    if (kinds & (1u << p->kind)) return p;
    return wa_raise("ScenarioError", "step %s: '%s' is a %s", step->items[0]->string, p->name, p->type), NULL;
  }
  return wa_raise("ScenarioError", "unknown primitive '%s'", name->string), NULL;
}

/* Makes the primitive; NULL with the error raised (ValueError, MemoryError). */
static void *prim_new(int k, const wa_json *n) {
  bool given = is_number(n);
  int v = given ? (int)n->number : 0;
  switch (prim_kinds[k].kind) {
    case P_LOCK: return wa_lock_new();
    case P_EVENT: return wa_event_new();
    case P_SEMAPHORE:
      if (!given) v = 1;
      return k == 3 ? wa_bounded_semaphore_new(v) : wa_semaphore_new(v);
    case P_CONDITION: return wa_condition_new(NULL);
    case P_BARRIER: return wa_barrier_new(v);
    case P_QUEUE: return wa_queue_new(v, (wa_queue_order)prim_kinds[k].order);
  }
  return NULL;
}

/* ["make", name, kind, n]: n is a semaphore's value, a barrier's parties
   or a queue's maxsize (null: the default). Replaces a primitive of that
   name. */
static int step_make(const ctx *c, const wa_json *step, int index) {
  const wa_json *name = step->items[1], *kind = step->items[2], *n = step->items[3];
  if (!is_string(name) || !is_string(kind) || !(is_null(n) || is_number(n))) return bad_step(index, step);
  int k = -1;
  for (int i = 0; i < (int)(sizeof prim_kinds / sizeof *prim_kinds); i++)
    if (strcmp(prim_kinds[i].name, kind->string) == 0) k = i;
  if (k < 0 || (prim_kinds[k].kind == P_BARRIER && !is_number(n))) return bad_step(index, step);
  prim *p = wa__alloc(sizeof *p);
  if (!p || !(p->name = wa__strdup(name->string))) {
    free(p);
    return wa__nomem("a primitive");
  }
  if (!(p->obj = prim_new(k, n))) {
    free(p->name);
    free(p);
    return pass_on_nomem("a primitive");
  }
  p->kind = prim_kinds[k].kind;
  p->type = prim_kinds[k].type;
  for (prim **at = &c->ts->sh->prims; *at; at = &(*at)->next) {
    if (strcmp((*at)->name, p->name) != 0) continue;
    prim *old = *at;
    *at = old->next;
    prim_free(old);
    break;
  }
  p->next = c->ts->sh->prims;
  c->ts->sh->prims = p;
  return ST_NORMAL;
}

enum { LOCKS = 1u << P_LOCK | 1u << P_SEMAPHORE | 1u << P_CONDITION };

static int acquire(prim *p) {
  int rc = p->kind == P_LOCK ? wa_lock_acquire(p->obj)
           : p->kind == P_SEMAPHORE ? wa_semaphore_acquire(p->obj)
           : wa_condition_acquire(p->obj);
  if (rc == WA_OK) wa_print("%s acquired", p->name);
  return rc;
}

static int release(prim *p) {
  return p->kind == P_LOCK ? wa_lock_release(p->obj)
         : p->kind == P_SEMAPHORE ? wa_semaphore_release(p->obj)
         : wa_condition_release(p->obj);
}

static int step_acquire(const ctx *c, const wa_json *step, int index) {
  prim *p = find_prim(c, step, LOCKS);
  return p ? acquire(p) : WA_ERROR;
}

static int step_release(const ctx *c, const wa_json *step, int index) {
  prim *p = find_prim(c, step, LOCKS);
  return p ? release(p) : WA_ERROR;
}

/* ["with", name, steps]: `async with p:` (the release's error, if any,
   replaces the one in flight, as __aexit__'s does). */
static int step_with(const ctx *c, const wa_json *step, int index) {
  if (!is_steps(step->items[2])) return bad_step(index, step);
  prim *p = find_prim(c, step, LOCKS);
  if (!p) return WA_ERROR;
  int rc = acquire(p);
  if (rc < 0) return rc;
  int st = run_steps(c, step->items[2]);
  wa_error *in_flight = st < 0 ? wa_error_fetch() : NULL;
  rc = release(p);
  if (rc < 0) {
    wa_error_release(in_flight);
    return rc;
  }
  return in_flight ? wa_error_restore(in_flight) : st;
}

static int step_set(const ctx *c, const wa_json *step, int index) {
  prim *p = find_prim(c, step, 1u << P_EVENT);
  if (!p) return WA_ERROR;
  wa_event_set(p->obj);
  return ST_NORMAL;
}

static int step_clear(const ctx *c, const wa_json *step, int index) {
  prim *p = find_prim(c, step, 1u << P_EVENT);
  if (!p) return WA_ERROR;
  wa_event_clear(p->obj);
  return ST_NORMAL;
}

/* ["wait", name]: Event.wait, Condition.wait or Barrier.wait. */
static int step_wait(const ctx *c, const wa_json *step, int index) {
  prim *p = find_prim(c, step, 1u << P_EVENT | 1u << P_CONDITION | 1u << P_BARRIER);
  if (!p) return WA_ERROR;
  int i = 0;
  int rc = p->kind == P_EVENT ? wa_event_wait(p->obj)
           : p->kind == P_CONDITION ? wa_condition_wait(p->obj)
           : wa_barrier_wait(p->obj, &i);
  if (rc < 0) return rc;
  if (p->kind == P_BARRIER)
    wa_print("%s -> %d", p->name, i);
  else
    wa_print("%s waited", p->name);
  return ST_NORMAL;
}

/* ["notify", name, n]: n null is notify_all. */
static int step_notify(const ctx *c, const wa_json *step, int index) {
  const wa_json *n = step->items[2];
  if (!is_null(n) && !is_number(n)) return bad_step(index, step);
  prim *p = find_prim(c, step, 1u << P_CONDITION);
  if (!p) return WA_ERROR;
  return is_null(n) ? wa_condition_notify_all(p->obj) : wa_condition_notify(p->obj, (int)n->number);
}

static int step_reset(const ctx *c, const wa_json *step, int index) {
  prim *p = find_prim(c, step, 1u << P_BARRIER);
  return p ? wa_barrier_reset(p->obj) : WA_ERROR;
}

static int step_abort(const ctx *c, const wa_json *step, int index) {
  prim *p = find_prim(c, step, 1u << P_BARRIER);
  return p ? wa_barrier_abort(p->obj) : WA_ERROR;
}

/* ["put", name, v] and ["put_nowait", name, v]: v a number or a string. */
static int put(const ctx *c, const wa_json *step, int index, bool wait) {
  const wa_json *v = step->items[2];
  if (!is_number(v) && !is_string(v)) return bad_step(index, step);
  prim *p = find_prim(c, step, 1u << P_QUEUE);
  if (!p) return WA_ERROR;
  wa_value item = is_number(v) ? (wa_value){.kind = WA_NUMBER, .number = v->number}
                               : (wa_value){.kind = WA_STRING, .string = v->string};
  int rc = wait ? wa_queue_put(p->obj, &item) : wa_queue_put_nowait(p->obj, &item);
  if (rc < 0) return rc;
  wa_text b = {0};
  wa__text_add(&b, "%s put ", p->name);
  sb_value(&b, &item);
  return sb_print(&b);
}

static int step_put(const ctx *c, const wa_json *step, int index) { return put(c, step, index, true); }
static int step_put_nowait(const ctx *c, const wa_json *step, int index) { return put(c, step, index, false); }

/* ["get", name] and ["get_nowait", name]: prints "name -> v". */
static int get(const ctx *c, const wa_json *step, bool wait) {
  prim *p = find_prim(c, step, 1u << P_QUEUE);
  if (!p) return WA_ERROR;
  wa_value item;
  int rc = wait ? wa_queue_get(p->obj, &item) : wa_queue_get_nowait(p->obj, &item);
  if (rc < 0) return rc;
  wa_text b = {0};
  wa__text_add(&b, "%s -> ", p->name);
  sb_value(&b, &item);
  wa_value_clear(&item);
  return sb_print(&b);
}

static int step_get(const ctx *c, const wa_json *step, int index) { return get(c, step, true); }
static int step_get_nowait(const ctx *c, const wa_json *step, int index) { return get(c, step, false); }

static int step_task_done(const ctx *c, const wa_json *step, int index) {
  prim *p = find_prim(c, step, 1u << P_QUEUE);
  return p ? wa_queue_task_done(p->obj) : WA_ERROR;
}

static int step_join(const ctx *c, const wa_json *step, int index) {
  prim *p = find_prim(c, step, 1u << P_QUEUE);
  if (!p) return WA_ERROR;
  int rc = wa_queue_join(p->obj);
  if (rc == WA_OK) wa_print("%s joined", p->name);
  return rc;
}

/* ["shutdown", name, immediate]. */
static int step_shutdown(const ctx *c, const wa_json *step, int index) {
  if (step->items[2]->kind != WA_JSON_BOOL) return bad_step(index, step);
  prim *p = find_prim(c, step, 1u << P_QUEUE);
  if (!p) return WA_ERROR;
  wa_queue_shutdown(p->obj, step->items[2]->boolean);
  return ST_NORMAL;
}

/* ---- the outside world ------------------------------------------------------ */

/* ["host", ms, value, error]: awaits the host function "scenario_host"
   (the harness provides it), which settles after ms of loop time: with
   value (a number or a string), or when error is a type name, by throwing
   an error of that type with value as its message. Prints "host -> v". */
static int step_host(const ctx *c, const wa_json *step, int index) {
  const wa_json *ms = step->items[1], *v = step->items[2], *error = step->items[3];
  if (!is_ms(ms) || !(is_number(v) || is_string(v)) || !(is_null(error) || is_string(error)))
    return bad_step(index, step);
  wa_args *a = wa_args_new();
  int rc = a ? wa_args_set_number(a, "ms", ms->number) : WA_ERROR;
  if (rc == WA_OK) rc = is_number(v) ? wa_args_set_number(a, "value", v->number) : wa_args_set_string(a, "value", v->string);
  if (rc == WA_OK && is_string(error)) rc = wa_args_set_string(a, "error", error->string);
  wa_task *call = rc == WA_OK ? wa_host_call("scenario_host", a) : NULL;
  wa_args_free(a);
  if (!call) return pass_on_nomem("a host call");
  rc = wa_task_join(call);
  if (rc == WA_OK) rc = print_result("host", call);
  wa_task_release(call);
  return rc;
}

/* ---- wait and as_completed ---------------------------------------------------- */

/* [id, ...] of tasks in the table: their tasks in a new array (borrowed
   entries), or NULL with the error raised. */
static wa_task **lookup_all(const ctx *c, const wa_json *ids, int index, const wa_json *step) {
  if (ids->kind != WA_JSON_ARRAY || !built(ids)) return bad_step(index, step), NULL;
  wa_task **tasks = wa__alloc((size_t)(ids->count ? ids->count : 1) * sizeof *tasks);
  if (!tasks) return wa__nomem("a list of tasks"), NULL;
  for (int i = 0; i < ids->count; i++) {
    if (!(tasks[i] = lookup(c, ids->items[i]))) {
      free(tasks);
      return NULL;
    }
  }
  return tasks;
}

/* Prints "label [id, id]" for the ids whose mark is `which`. */
static void add_ids(wa_text *b, const char *label, const wa_json *ids, const bool *marks, bool which) {
  wa__text_add(b, "%s[", label);
  const char *sep = "";
  for (int i = 0; i < ids->count; i++) {
    if (marks[i] != which) continue;
    wa__text_add(b, "%s%s", sep, ids->items[i]->string);
    sep = ", ";
  }
  wa__text_add(b, "]");
}

/* ["wait_tasks", [id, ...], return_when, ms]: asyncio.wait; prints
   "wait -> done [ids] pending [ids]" in the list's order. ms null: none. */
static int step_wait_tasks(const ctx *c, const wa_json *step, int index) {
  static const char *const modes[] = {"FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"};
  const wa_json *ids = step->items[1], *when = step->items[2], *ms = step->items[3];
  int mode = -1;
  for (int i = 0; is_string(when) && i < 3; i++)
    if (strcmp(when->string, modes[i]) == 0) mode = i;
  if (mode < 0 || !(is_null(ms) || is_ms(ms))) return bad_step(index, step);
  wa_task **tasks = lookup_all(c, ids, index, step);
  if (!tasks) return WA_ERROR;
  bool *done = wa__alloc((size_t)(ids->count ? ids->count : 1));
  int rc = done ? wa_wait(tasks, ids->count, (wa_return_when)mode, is_null(ms) ? INFINITY : ms->number, done)
                : wa__nomem("a list of tasks");
  if (rc >= 0) {
    wa_text b = {0};
    add_ids(&b, "wait -> done ", ids, done, true);
    add_ids(&b, " pending ", ids, done, false);
    rc = sb_print(&b);
  }
  free(done);
  free(tasks);
  return rc;
}

/* ["as_completed", [id, ...], ms]: `async for t in as_completed(...)`,
   printing "next -> id" for each. */
static int step_as_completed(const ctx *c, const wa_json *step, int index) {
  const wa_json *ids = step->items[1], *ms = step->items[2];
  if (!(is_null(ms) || is_ms(ms))) return bad_step(index, step);
  wa_task **tasks = lookup_all(c, ids, index, step);
  if (!tasks) return WA_ERROR;
  wa_as_completed *it = wa_as_completed_new(tasks, ids->count, is_null(ms) ? INFINITY : ms->number);
  int rc = it ? 1 : pass_on_nomem("as_completed");
  wa_task *t;
  while (rc > 0 && (rc = wa_as_completed_next(it, &t)) > 0) {
    int i = 0;
    while (tasks[i] != t) i++; /* it hands out the tasks given */
    wa_print("next -> %s", ids->items[i]->string);
  }
  wa_as_completed_free(it);
  free(tasks);
  return rc < 0 ? rc : ST_NORMAL;
}

typedef int (*step_fn)(const ctx *c, const wa_json *step, int index);

static const struct {
  const char *name;
  int length; /* of the step array, name included */
  step_fn fn;
} step_table[] = {
    {"log", 2, step_log},         {"log_time", 2, step_log_time},
    {"sleep", 2, step_sleep},     {"return", 2, step_return},
    {"raise", 3, step_raise},     {"spawn", 3, step_spawn},
    {"await", 2, step_await},     {"cancel", 3, step_cancel},
    {"shield", 2, step_shield},   {"group", 2, step_group},
    {"gather", 3, step_gather},   {"timeout", 3, step_timeout},
    {"uncancel", 1, step_uncancel}, {"try", 3, step_try},
    {"log_error", 1, step_log_error}, {"reraise", 1, step_reraise},
    {"make", 4, step_make},       {"acquire", 2, step_acquire},
    {"release", 2, step_release}, {"with", 3, step_with},
    {"set", 2, step_set},         {"clear", 2, step_clear},
    {"wait", 2, step_wait},       {"notify", 3, step_notify},
    {"reset", 2, step_reset},     {"abort", 2, step_abort},
    {"put", 3, step_put},         {"put_nowait", 3, step_put_nowait},
    {"get", 2, step_get},         {"get_nowait", 2, step_get_nowait},
    {"task_done", 2, step_task_done}, {"join", 2, step_join},
    {"shutdown", 3, step_shutdown},
    {"wait_tasks", 4, step_wait_tasks}, {"as_completed", 3, step_as_completed},
    {"host", 4, step_host},
};

/* The function for a step, or NULL with a ScenarioError set. */
static step_fn step_for(const wa_json *step, int index) {
  if (step->count == 0 || !is_string(step->items[0])) return bad_step(index, step), NULL;
  const char *name = step->items[0]->string;
  for (size_t i = 0; i < sizeof step_table / sizeof *step_table; i++) {
    if (strcmp(step_table[i].name, name) != 0) continue;
    if (step_table[i].length != step->count) return bad_step(index, step), NULL;
    return step_table[i].fn;
  }
  wa_raise("ScenarioError", "step %d: unknown step \"%s\"", index, name);
  return NULL;
}

static int run_steps(const ctx *c, const wa_json *steps) {
  if (!is_steps(steps)) return bad_list(steps);
  for (int i = 0; i < steps->count; i++) {
    if (build(steps->items[i]) < 0) return WA_ERROR;
    step_fn fn = step_for(steps->items[i], i + 1);
    if (!fn) return WA_ERROR;
    int st = fn(c, steps->items[i], i + 1);
    if (st != ST_NORMAL) return st;
  }
  return ST_NORMAL;
}

/* ---- the coroutine ---------------------------------------------------------- */

/* The task's step list, parsed; NULL with a ScenarioError set, or a
   MemoryError when the parser ran out ("out of memory" is json.c's
   message for that, never a syntax error's). */
static wa_json *parse_steps(const char *text) {
  char err[100];
  if (!text) return wa_raise("ScenarioError", "no steps given"), NULL;
  wa_json *tree = wa__json_parse_lazy(text, LAZY_AT, err, sizeof err);
  if (!tree && strcmp(err, "out of memory") == 0)
    wa__nomem("the steps");
  else if (!tree)
    wa_raise("ScenarioError", "malformed JSON: %s", err);
  return tree;
}

/* Sets the value of the `return` step that ran (a number or a string) as
   the task's result, which copies a string. */
static int return_value(wa_task *self, const wa_json *v) {
  int rc = is_number(v) ? wa_return_number(self, v->number) : wa_return_string(self, v->string);
  return rc < 0 ? pass_on_nomem("the task's result") : ST_NORMAL;
}

/* Runs a step list. The root (called from JavaScript with only `steps`, as
   JSON text) parses it and creates the run's shared state, which then owns
   the tree; a spawned task gets its list in that tree ("list"), the state
   ("shared") and its innermost group ("group"). Ends with the `return`
   step's value, or None. */
static int scenario(wa_task *self, const wa_args *args) {
  task_state ts = {.self = self, .sh = wa_arg_pointer(args, "shared")};
  const wa_json *steps = wa_arg_pointer(args, "list");
  bool root = !ts.sh;
  if (root) {
    wa_json *tree = parse_steps(wa_arg_string(args, "steps"));
    if (!tree) return WA_ERROR;
    if (!(ts.sh = shared_new(tree))) {
      wa__json_free(tree);
      return wa__nomem("the scenario's table of tasks");
    }
    steps = tree;
  }
  ctx c = {.ts = &ts, .group = wa_arg_pointer(args, "group")};
  int st = run_steps(&c, steps);
  if (st == ST_RETURN) st = return_value(self, ts.ret); /* copies: before the tree can go */
  if (root) shared_release(ts.sh);
  return st < 0 ? st : WA_OK;
}
WA_EXPORT_COROUTINE(scenario, "steps:json")
