/*
 * snapshot.c: every pending task at one moment, as a tree by creator (who
 * spawned whom) with what each waits on: a text like `python -m asyncio
 * pstree` (wa_print_task_tree, rt.formatTaskTree) and JSON records for
 * rt.tasks(). Read-only; allocation failures give a shorter answer, never
 * an abort.
 */
#include <emscripten.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A JSON string: quotes, escapes; bytes >= 0x80 pass (UTF-8). */
static void add_json_string(wa_text *b, const char *s) {
  wa__text_add(b, "\"");
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') wa__text_add(b, "\\%c", c);
    else if (c < 0x20) wa__text_add(b, "\\u%04x", c);
    else wa__text_add(b, "%c", c);
  }
  wa__text_add(b, "\"");
}

/* What t waits on, in words. */
static void add_waiting(wa_text *b, const wa_task *t) {
  if (t->cancel_passing || t->num_cancels) wa__text_add(b, "cancelling (%d), ", t->num_cancels);
  const wa_waiter_ops *w = t->waiting;
  if (!w) {
    wa__text_add(b, t->ops->started && t->ops->started(t) ? "ready" : "not started");
  } else if (w->deadline && isfinite(w->deadline(t))) {
    wa__text_add(b, "waiting on %s until %.15g ms", w->what, w->deadline(t));
  } else if (w->deadline) {
    wa__text_add(b, "waiting on %s for ever", w->what);
  } else if (t->awaiting) {
    wa__text_add(b, "awaiting %s '%s' (#%u)", t->awaiting->ops->type, t->awaiting->name, t->awaiting->id);
  } else {
    wa__text_add(b, "waiting on %s", w->what);
  }
}

/* The pending tasks, in creation order; none when out of memory (a
   shorter answer, as the top of this file says). */
static wa_task **pending_tasks(int *n) {
  wa_task **all = wa__tasks_pending(n);
  if (!all) *n = 0;
  return all;
}

/* Index of the pending task with this id, or -1 (creation order is id
   order). */
static int index_of(wa_task **all, int n, unsigned id) {
  for (int lo = 0, hi = n - 1; lo <= hi;) {
    int mid = lo + (hi - lo) / 2;
    if (all[mid]->id == id) return mid;
    if (all[mid]->id < id) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

static void add_line(wa_text *b, wa_task *t, const bool *last, int depth) {
  for (int d = 0; d < depth; d++) wa__text_add(b, last[d] ? "    " : "│   ");
  wa__text_add(b, "%s %s '%s' (#%u", last[depth] ? "└──" : "├──", t->ops->type, t->name, t->id);
  const char *co = t->fn ? wa__registry_name_of(t->fn) : NULL;
  if (co) wa__text_add(b, ", %s", co);
  if (t->container_id) wa__text_add(b, ", in %s #%u", t->container_what, t->container_id);
  wa__text_add(b, "): ");
  add_waiting(b, t);
  wa__text_add(b, "\n");
}

enum { MAX_DEPTH = 48 };

/* The tree by creator; a task whose creator has ended is a root. Drawn
   depth-first without recursion (a task's C stack is small). */
static void add_tree(wa_text *b, wa_task **all, int n) {
  if (!n) {
    wa__text_add(b, "(no pending tasks)\n");
    return;
  }
  /* Children lists in creation order: first_child[i + 1] (slot 0 holds
     the roots), next_sibling[i]. */
  int *first_child = wa__alloc((n + 1) * sizeof *first_child);
  int *next_sibling = wa__alloc(n * sizeof *next_sibling);
  if (!first_child || !next_sibling) {
    free(first_child);
    free(next_sibling);
    for (int i = 0; i < n; i++) add_line(b, all[i], (bool[]){i == n - 1}, 0);
    return;
  }
  for (int i = 0; i <= n; i++) first_child[i] = -1;
  for (int i = n - 1; i >= 0; i--) {
    int p = index_of(all, n, all[i]->parent_id) + 1;
    next_sibling[i] = first_child[p];
    first_child[p] = i;
  }
  int node[MAX_DEPTH + 1];
  bool last[MAX_DEPTH + 1];
  int depth = 0;
  node[0] = first_child[0];
  while (depth >= 0) {
    int i = node[depth];
    if (i < 0) { /* no more siblings here: back up */
      if (--depth >= 0) node[depth] = next_sibling[node[depth]];
      continue;
    }
    last[depth] = next_sibling[i] < 0;
    add_line(b, all[i], last, depth);
    int child = first_child[i + 1];
    if (child >= 0 && depth == MAX_DEPTH) {
      for (int d = 0; d <= depth; d++) wa__text_add(b, last[d] ? "    " : "│   ");
      wa__text_add(b, "└── ... (deeper tasks not shown)\n");
      child = -1;
    }
    if (child >= 0) {
      node[++depth] = child;
    } else {
      node[depth] = next_sibling[i];
    }
  }
  free(first_child);
  free(next_sibling);
}

static char *tree_text(void) {
  int n;
  wa_task **all = pending_tasks(&n);
  wa_text b = {0};
  add_tree(&b, all, n);
  free(all);
  return b.s; /* NULL only when nothing at all fitted */
}

void wa_print_task_tree(void) {
  char *s = tree_text();
  if (!s) {
    wa_print("(no memory to draw the task tree)");
    return;
  }
  for (char *line = s, *end; *line; line = end + 1) {
    end = strchr(line, '\n');
    if (!end) break;
    *end = '\0';
    wa_print("%s", line);
  }
  free(s);
}

/* For rt.formatTaskTree(): the text, to free(); NULL when out of memory. */
EMSCRIPTEN_KEEPALIVE char *wa_js_task_tree(void) { return tree_text(); }

/* For rt.tasks(): a JSON array of the pending tasks, to free(). */
EMSCRIPTEN_KEEPALIVE char *wa_js_tasks_json(void) {
  int n;
  wa_task **all = pending_tasks(&n);
  wa_text b = {0};
  wa__text_add(&b, "[");
  for (int i = 0; i < n; i++) {
    wa_task *t = all[i];
    const wa_waiter_ops *w = t->waiting;
    wa__text_add(&b, "%s{\"id\":%u,\"name\":", i ? "," : "", t->id);
    add_json_string(&b, t->name);
    const char *co = t->fn ? wa__registry_name_of(t->fn) : NULL;
    wa__text_add(&b, ",\"coroutine\":");
    if (co) add_json_string(&b, co); else wa__text_add(&b, "null");
    wa__text_add(&b, ",\"started\":%s,\"parent\":%u,\"container\":%u,\"cancelling\":%d,\"created\":%.17g",
        t->ops->started && t->ops->started(t) ? "true" : "false", t->parent_id, t->container_id,
        t->num_cancels, t->created_at);
    wa__text_add(&b, ",\"containerType\":");
    if (t->container_id) add_json_string(&b, t->container_what); else wa__text_add(&b, "null");
    wa__text_add(&b, ",\"waiting\":");
    if (w) add_json_string(&b, w->what); else wa__text_add(&b, "null");
    wa__text_add(&b, ",\"awaiting\":%u,\"until\":", t->awaiting ? t->awaiting->id : 0);
    double until = w && w->deadline ? w->deadline(t) : NAN;
    if (isfinite(until)) wa__text_add(&b, "%.17g", until); else wa__text_add(&b, "null");
    wa__text_add(&b, ",\"text\":");
    wa_text line = {0};
    add_waiting(&line, t);
    add_json_string(&b, line.nomem ? "" : line.s);
    free(line.s);
    wa__text_add(&b, "}");
  }
  wa__text_add(&b, "]");
  free(all);
  if (b.nomem) {
    free(b.s);
    return NULL;
  }
  return b.s;
}

/* For rt.cancelTask(id, msg): wa_task_cancel on the pending task with that
   id (1 when the request was made, 0 when refused); -1 when no pending task
   has that id. */
EMSCRIPTEN_KEEPALIVE int wa_js_cancel_by_id(unsigned id, const char *msg) {
  for (wa_task *t = wa__task_first_pending(); t; t = t->all_next)
    if (t->id == id) return wa_task_cancel(t, msg) ? 1 : 0;
  return -1;
}
