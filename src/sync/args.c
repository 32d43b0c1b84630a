/*
 * args.c: the primitives as task arguments (C's wa_args_set_lock, or
 * JavaScript passing rt.lock() to a parameter "name:lock").
 */
#include "sync.h"

#define WA_SYNC_ARG(type, kind)                                              \
  int wa_args_set_##type(wa_args *a, const char *key, wa_##type *p) {        \
    return wa__args_set_object(a, key, (wa_object *)p);                      \
  }                                                                          \
  wa_##type *wa_arg_##type(const wa_args *a, const char *key) {              \
    return (wa_##type *)wa__arg_object(a, key, &kind);                       \
  }

WA_SYNC_ARG(lock, wa__lock_kind)
WA_SYNC_ARG(event, wa__event_kind)
WA_SYNC_ARG(semaphore, wa__semaphore_kind)
WA_SYNC_ARG(condition, wa__condition_kind)
WA_SYNC_ARG(barrier, wa__barrier_kind)
WA_SYNC_ARG(queue, wa__queue_kind)
