/*
 * registry.c: coroutines callable by name from JavaScript, with the
 * parameters they declare ("param:number, label:string").
 */
#include <emscripten.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
  char *name;
  wa_coro_fn fn;
  char *params;
} wa_entry;

static wa_entry *entries;
static int count, cap;

static wa_entry *find(const char *name) {
  for (int i = 0; i < count; i++)
    if (strcmp(entries[i].name, name) == 0) return &entries[i];
  return NULL;
}

/* Room for one more entry; false when out of memory (entries unchanged). */
static bool reserve(void) {
  if (count < cap) return true;
  int more = cap ? cap * 2 : 16;
  wa_entry *grown = wa__realloc(entries, more * sizeof *entries);
  if (!grown) return false;
  entries = grown;
  cap = more;
  return true;
}

/* Everything that can fail is allocated before the registry is touched, so
   out of memory (MemoryError, WA_ERROR) leaves it as it was: an earlier
   registration of name stays in force. */
int wa_register(const char *name, wa_coro_fn fn, const char *params) {
  if (!name || !*name || !fn) return WA_EINVAL;
  wa_entry *e = find(name);
  char *copy = e ? NULL : wa__strdup(name);
  char *decl = wa__strdup(params ? params : "");
  if (!decl || (!e && (!copy || !reserve()))) {
    free(copy);
    free(decl);
    return wa__nomem("registering a coroutine");
  }
  if (e) { /* a later registration replaces an earlier one */
    free(e->params);
  } else {
    e = &entries[count++];
    e->name = copy;
  }
  e->fn = fn;
  e->params = decl;
  return WA_OK;
}

wa_coro_fn wa__registry_find(const char *name) {
  wa_entry *e = find(name);
  return e ? e->fn : NULL;
}

EMSCRIPTEN_KEEPALIVE int wa_registry_count(void) { return count; }
EMSCRIPTEN_KEEPALIVE const char *wa_registry_name(int i) { return entries[i].name; }
EMSCRIPTEN_KEEPALIVE const char *wa_registry_params(int i) { return entries[i].params; }

/* The name fn is registered under, or NULL. */
const char *wa__registry_name_of(wa_coro_fn fn) {
  for (int i = 0; i < count; i++)
    if (entries[i].fn == fn) return entries[i].name;
  return NULL;
}
