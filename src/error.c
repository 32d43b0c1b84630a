/*
 * error.c: errors and the error indicator.
 *
 * An error is a refcounted (type, message) pair, shared by everyone who
 * sees it: a task's outcome and each awaiter's indicator point at the same
 * one, so a cancel message travels unchanged to every awaiter.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static wa_error *host_indicator; /* used when no task is running */

wa_error *wa__error_new(const char *type, const char *message) {
  wa_error *e = wa__alloc(sizeof *e);
  e->refs = 1;
  e->type = wa__strdup(type);
  e->message = wa__strdup(message ? message : "");
  return e;
}

wa_error *wa__error_ref(wa_error *e) {
  if (e) e->refs++;
  return e;
}

void wa__error_unref(wa_error *e) {
  if (!e || --e->refs > 0) return;
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

const wa_error *wa_error_current(void) { return *wa__indicator(); }

bool wa_error_matches(const char *type) {
  const wa_error *e = *wa__indicator();
  return e && strcmp(e->type, type) == 0;
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
