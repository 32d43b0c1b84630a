/*
 * error.c: errors and the error indicator.
 *
 * An error is a refcounted (type, message) pair, shared by everyone who
 * sees it: a task's outcome and each awaiter's indicator point at the same
 * one, so a cancel message travels unchanged to every awaiter. An exception
 * group is an error of type ExceptionGroup whose children are errors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static wa_error *host_indicator; /* used when no task is running */

/* What an error becomes when there is no memory to make it: preallocated,
   never freed (refs < 0). A cancellation stays a cancellation (without its
   message); anything else is a MemoryError. */
static wa_error no_memory = {.refs = -1, .type = (char *)"MemoryError",
                             .message = (char *)"out of memory (wasm memory is at its limit)"};
static wa_error bare_cancel = {.refs = -1, .type = (char *)"CancelledError", .message = (char *)""};

static wa_error *fallback(const char *type) {
  return strcmp(type, "CancelledError") == 0 ? &bare_cancel : &no_memory;
}

wa_error *wa__error_new(const char *type, const char *message) {
  wa_error *e = wa__alloc(sizeof *e);
  if (!e) return fallback(type);
  e->refs = 1;
  e->type = wa__strdup(type);
  e->message = wa__strdup(message ? message : "");
  if (!e->type || !e->message) {
    free(e->type);
    free(e->message);
    free(e);
    return fallback(type);
  }
  return e;
}

wa_error *wa__error_nomem(void) { return &no_memory; }

int wa__nomem(const char *what) {
  return wa_raise("MemoryError", "no memory for %s", what);
}

wa_error *wa__error_ref(wa_error *e) {
  if (e && e->refs >= 0) e->refs++;
  return e;
}

/* Out of memory: MemoryError, not the group (its children are lost). */
wa_error *wa__error_group(const char *message, wa_error *const *errors, int n) {
  wa_error *g = wa__error_new("ExceptionGroup", message);
  if (g->refs < 0) return g;
  g->children = wa__alloc((n ? n : 1) * sizeof *g->children);
  if (!g->children) {
    wa__error_unref(g);
    return &no_memory;
  }
  for (int i = 0; i < n; i++) g->children[i] = wa__error_ref(errors[i]);
  g->count = n;
  return g;
}

void wa__error_unref(wa_error *e) {
  if (!e || e->refs < 0 || --e->refs > 0) return;
  for (int i = 0; i < e->count; i++) wa__error_unref(e->children[i]);
  free(e->children);
  if (e->host_id) wa_host_error_freed(e->host_id);
  free(e->type);
  free(e->message);
  free(e);
}

bool wa__error_is_cancel(const wa_error *e) {
  return e && strcmp(e->type, "CancelledError") == 0;
}

wa_error **wa__indicator(void) {
  return wa__current ? &wa__current->err : &host_indicator;
}

int wa__error_set(wa_error *e) {
  wa_error **slot = wa__indicator();
  wa__error_unref(*slot);
  *slot = e;
  return wa__error_is_cancel(e) ? WA_ECANCELLED : WA_ERROR;
}

int wa_raise(const char *type, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return wa__error_set(wa__error_new(type, buf));
}

wa_error *wa_error_new(const char *type, const char *fmt, ...) {
  char buf[512] = "";
  va_list ap;
  va_start(ap, fmt);
  if (fmt) vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return wa__error_new(type ? type : "Exception", buf);
}

const wa_error *wa_error_current(void) { return *wa__indicator(); }

bool wa_error_matches(const char *type) {
  const wa_error *e = *wa__indicator();
  return e && strcmp(e->type, type) == 0;
}

wa_error *wa__error_take(void) {
  wa_error **slot = wa__indicator();
  wa_error *e = *slot;
  *slot = NULL;
  return e;
}

void wa_error_clear(void) {
  wa_error **slot = wa__indicator();
  wa__error_unref(*slot);
  *slot = NULL;
}

int wa_reraise(void) {
  const wa_error *e = *wa__indicator();
  if (!e) return wa_raise("RuntimeError", "No active exception to reraise");
  return wa__error_is_cancel(e) ? WA_ECANCELLED : WA_ERROR;
}

const char *wa_error_type(const wa_error *e) { return e ? e->type : NULL; }
const char *wa_error_message(const wa_error *e) { return e ? e->message : NULL; }

/* ---- exception groups --------------------------------------------------- */

bool wa_error_is_group(const wa_error *e) { return e && e->children; }
int wa_error_count(const wa_error *e) { return e ? e->count : 0; }

const wa_error *wa_error_child(const wa_error *e, int i) {
  return e && i >= 0 && i < e->count ? e->children[i] : NULL;
}

/* Does e, a leaf, match? NULL type: everything does. */
static bool leaf_matches(const wa_error *e, const char *type) {
  return !type || strcmp(e->type, type) == 0;
}

/* BaseExceptionGroup.split: the part of e matching type (kept nested as it
   was) and the rest; either may come back NULL. A leaf that is not a group
   goes wholly one way. Empty subgroups vanish. */
static void split(wa_error *e, const char *type, wa_error **match, wa_error **rest) {
  if (!e->children) {
    bool m = leaf_matches(e, type);
    *match = m ? wa__error_ref(e) : NULL;
    *rest = m ? NULL : wa__error_ref(e);
    return;
  }
  wa_error **m = wa__alloc(e->count * sizeof *m), **r = wa__alloc(e->count * sizeof *r);
  if (!m || !r) { /* out of memory: nothing matched, e goes on unchanged */
    free(m);
    free(r);
    *match = NULL;
    *rest = wa__error_ref(e);
    return;
  }
  int nm = 0, nr = 0;
  for (int i = 0; i < e->count; i++) {
    wa_error *cm, *cr;
    split(e->children[i], type, &cm, &cr);
    if (cm) m[nm++] = cm;
    if (cr) r[nr++] = cr;
  }
  *match = nm == e->count ? wa__error_ref(e) : nm ? wa__error_group(e->message, m, nm) : NULL;
  *rest = nr == e->count ? wa__error_ref(e) : nr ? wa__error_group(e->message, r, nr) : NULL;
  for (int i = 0; i < nm; i++) wa__error_unref(m[i]);
  for (int i = 0; i < nr; i++) wa__error_unref(r[i]);
  free(m);
  free(r);
}

void wa_error_split(const wa_error *e, const char *type, wa_error **match, wa_error **rest) {
  wa_error *m = NULL, *r = NULL;
  if (e) split((wa_error *)e, type, &m, &r);
  if (match) *match = m; else wa__error_unref(m);
  if (rest) *rest = r; else wa__error_unref(r);
}

wa_error *wa_error_catch(const char *type) {
  wa_error **slot = wa__indicator();
  wa_error *e = *slot, *match, *rest;
  if (!e) return NULL;
  if (e->children) {
    split(e, type, &match, &rest);
  } else { /* except* wraps a naked error that matches in a group */
    match = leaf_matches(e, type) ? wa__error_group("", &e, 1) : NULL;
    rest = match ? NULL : wa__error_ref(e);
  }
  wa__error_unref(e);
  *slot = rest;
  return match;
}

void wa_error_release(wa_error *e) { wa__error_unref(e); }

wa_error *wa_error_fetch(void) { return wa__error_take(); }

int wa_error_restore(wa_error *e) {
  if (!e) return wa_raise("TypeError", "wa_error_restore: the error is NULL"), WA_EINVAL;
  return wa__error_set(e);
}

wa_error *wa_error_retain(wa_error *e) { return wa__error_ref(e); }
