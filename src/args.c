/*
 * args.c: named arguments, the C side of a JavaScript {param: 7}.
 * A handful of entries at most, so a flat array searched by name.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { ARG_POINTER = WA_STRING + 1 }; /* a wa_kind results never have */

typedef struct {
  char *key;
  int kind;
  double number;
  char *string;
  void *pointer;
} wa_arg;

struct wa_args {
  int count, cap;
  wa_arg *items;
};

wa_args *wa_args_new(void) { return wa__alloc(sizeof(wa_args)); }

void wa_args_free(wa_args *a) {
  if (!a) return;
  for (int i = 0; i < a->count; i++) {
    free(a->items[i].key);
    free(a->items[i].string);
  }
  free(a->items);
  free(a);
}

static const wa_arg *find(const wa_args *a, const char *key) {
  for (int i = 0; a && i < a->count; i++)
    if (strcmp(a->items[i].key, key) == 0) return &a->items[i];
  return NULL;
}

/* Returns the entry for key, emptied, adding it if new. */
static wa_arg *slot(wa_args *a, const char *key) {
  wa_arg *it = (wa_arg *)find(a, key);
  if (it) {
    free(it->string);
    it->string = NULL;
    return it;
  }
  if (a->count == a->cap) {
    a->cap = a->cap ? a->cap * 2 : 4;
    a->items = wa__realloc(a->items, a->cap * sizeof *a->items);
  }
  it = &a->items[a->count++];
  it->key = wa__strdup(key);
  it->string = NULL;
  return it;
}

int wa_args_set_number(wa_args *a, const char *key, double value) {
  if (!a || !key) return WA_EINVAL;
  wa_arg *it = slot(a, key);
  it->kind = WA_NUMBER;
  it->number = value;
  return WA_OK;
}

int wa_args_set_string(wa_args *a, const char *key, const char *value) {
  if (!a || !key || !value) return WA_EINVAL;
  wa_arg *it = slot(a, key);
  it->kind = WA_STRING;
  it->string = wa__strdup(value);
  return WA_OK;
}

int wa_args_set_pointer(wa_args *a, const char *key, void *value) {
  if (!a || !key) return WA_EINVAL;
  wa_arg *it = slot(a, key);
  it->kind = ARG_POINTER;
  it->pointer = value;
  return WA_OK;
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
