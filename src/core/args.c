/*
 * args.c: named arguments, the C side of a JavaScript {param: 7}.
 * A handful of entries at most, so a flat array searched by name.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { ARG_POINTER = 100, ARG_TASK, ARG_OBJECT }; /* kinds results never have */

/* 16 bytes: a sleeping task's arguments are part of what it costs. */
typedef struct {
  char *key;
  int kind;
  union {
    double number;
    char *string; /* owned */
    void *pointer;
    wa_task *task; /* a reference */
    wa_object *object; /* a reference */
    struct {
      unsigned char *data; /* owned */
      unsigned length;
    } bytes;
  };
} wa_arg;

static void arg_clear(wa_arg *it) {
  if (it->kind == WA_STRING) free(it->string);
  if (it->kind == WA_BYTES) free(it->bytes.data);
  if (it->kind == ARG_TASK) wa_task_release(it->task);
  if (it->kind == ARG_OBJECT) wa__object_release(it->object);
}

struct wa_args {
  int count, cap;
  wa_arg *items;
};

/* NULL when out of memory. */
wa_args *wa_args_new(void) { return wa__alloc(sizeof(wa_args)); }

void wa_args_free(wa_args *a) {
  if (!a) return;
  for (int i = 0; i < a->count; i++) {
    free(a->items[i].key);
    arg_clear(&a->items[i]);
  }
  free(a->items);
  free(a);
}

static const wa_arg *find(const wa_args *a, const char *key) {
  for (int i = 0; a && i < a->count; i++)
    if (strcmp(a->items[i].key, key) == 0) return &a->items[i];
  return NULL;
}

/* Sets key to the value in `arg` (its string already copied), adding the
   entry if new. WA_ERROR when out of memory: a is as it was. */
static int put(wa_args *a, const char *key, wa_arg arg) {
  wa_arg *it = (wa_arg *)find(a, key);
  if (it) {
    arg_clear(it);
    arg.key = it->key;
    *it = arg;
    return WA_OK;
  }
  if (a->count == a->cap) {
    int cap = a->cap ? a->cap * 2 : 2;
    wa_arg *items = wa__realloc(a->items, cap * sizeof *items);
    if (!items) return WA_ERROR;
    a->items = items;
    a->cap = cap;
  }
  if (!(arg.key = wa__strdup(key))) return WA_ERROR;
  a->items[a->count++] = arg;
  return WA_OK;
}

/* These return WA_EINVAL for NULLs, and WA_ERROR with a MemoryError raised
   when out of memory (the args are then as they were). */
int wa_args_set_number(wa_args *a, const char *key, double value) {
  if (!a || !key) return WA_EINVAL;
  if (put(a, key, (wa_arg){.kind = WA_NUMBER, .number = value}) < 0) return wa__nomem("an argument");
  return WA_OK;
}

int wa_args_set_string(wa_args *a, const char *key, const char *value) {
  if (!a || !key || !value) return WA_EINVAL;
  char *copy = wa__strdup(value);
  if (!copy || put(a, key, (wa_arg){.kind = WA_STRING, .string = copy}) < 0) {
    free(copy);
    return wa__nomem("an argument");
  }
  return WA_OK;
}

int wa_args_set_pointer(wa_args *a, const char *key, void *value) {
  if (!a || !key) return WA_EINVAL;
  if (put(a, key, (wa_arg){.kind = ARG_POINTER, .pointer = value}) < 0) return wa__nomem("an argument");
  return WA_OK;
}

int wa_args_set_bytes(wa_args *a, const char *key, const void *data, size_t length) {
  if (!a || !key || (!data && length) || length > UINT32_MAX) return WA_EINVAL;
  unsigned char *copy = malloc(length ? length : 1);
  if (!copy) return wa__nomem("an argument");
  if (length) memcpy(copy, data, length);
  if (put(a, key, (wa_arg){.kind = WA_BYTES, .bytes = {copy, (unsigned)length}}) < 0) {
    free(copy);
    return wa__nomem("an argument");
  }
  return WA_OK;
}

int wa_args_set_task(wa_args *a, const char *key, wa_task *t) {
  if (!a || !key || !t) return WA_EINVAL;
  if (put(a, key, (wa_arg){.kind = ARG_TASK, .task = t}) < 0) return wa__nomem("an argument");
  wa_task_retain(t);
  return WA_OK;
}

int wa__args_set_object(wa_args *a, const char *key, wa_object *o) {
  if (!a || !key || !o) return wa_raise("TypeError", "wa_args_set: NULL %s", !a ? "args" : !key ? "key" : "object"), WA_EINVAL;
  if (put(a, key, (wa_arg){.kind = ARG_OBJECT, .object = o}) < 0) return wa__nomem("an argument");
  wa__object_retain(o);
  return WA_OK;
}

wa_object *wa__arg_object(const wa_args *a, const char *key, const wa_object_kind *kind) {
  const wa_arg *it = find(a, key);
  return it && it->kind == ARG_OBJECT && it->object->kind == kind ? it->object : NULL;
}

void wa__object_retain(wa_object *o) { o->refs++; }

/* Not inlined, so that the Asyncify check sees this one call through
   destroy (which never suspends) where module.json names it. */
__attribute__((noinline)) void wa__object_release(wa_object *o) {
  if (o && --o->refs == 0) o->kind->destroy(o);
}

bool wa_args_has(const wa_args *a, const char *key) { return find(a, key) != NULL; }

double wa_arg_number(const wa_args *a, const char *key) {
  const wa_arg *it = find(a, key);
  return it && it->kind == WA_NUMBER ? it->number : NAN;
}

const char *wa_arg_string(const wa_args *a, const char *key) {
  const wa_arg *it = find(a, key);
  return it && it->kind == WA_STRING ? it->string : NULL;
}

void *wa_arg_pointer(const wa_args *a, const char *key) {
  const wa_arg *it = find(a, key);
  return it && it->kind == ARG_POINTER ? it->pointer : NULL;
}

wa_task *wa_arg_task(const wa_args *a, const char *key) {
  const wa_arg *it = find(a, key);
  return it && it->kind == ARG_TASK ? it->task : NULL;
}

const void *wa_arg_bytes(const wa_args *a, const char *key, size_t *length) {
  const wa_arg *it = find(a, key);
  bool ok = it && it->kind == WA_BYTES;
  if (length) *length = ok ? it->bytes.length : 0;
  return ok ? it->bytes.data : NULL;
}

/* ---- for the host (hostcall.c): the entries in order ---------------------- */

int wa__args_count(const wa_args *a) { return a ? a->count : 0; }

/* Entry i: its key, and its value as a wa_value (a pointer argument is
   WA_NONE with its pointer in bytes, for the caller to refuse). */
const char *wa__args_entry(const wa_args *a, int i, wa_value *out) {
  const wa_arg *it = &a->items[i];
  *out = (wa_value){.kind = WA_NONE};
  if (it->kind == WA_NUMBER) *out = (wa_value){.kind = WA_NUMBER, .number = it->number};
  if (it->kind == WA_STRING) *out = (wa_value){.kind = WA_STRING, .string = it->string};
  if (it->kind == WA_BYTES) *out = (wa_value){.kind = WA_BYTES, .bytes = it->bytes.data, .length = it->bytes.length};
  if (it->kind == ARG_POINTER || it->kind == ARG_TASK || it->kind == ARG_OBJECT) out->bytes = it->pointer;
  return it->key;
}
