/*
 * shield.c: asyncio.shield. The awaiter waits on an outer future that
 * mirrors the inner task; cancelling the awaiter cancels only the outer
 * future, and the inner task runs on (SH1). As in CPython, an inner task
 * that is cancelled cancels the outer future without its message.
 */
#include "internal.h"

static void on_inner_done(wa_task *inner, void *arg) {
  wa_task *outer = arg;
  if (outer->state == TASK_CANCELLED) {
    wa__task_error(inner); /* seen: not "never retrieved" */
  } else if (inner->state == TASK_CANCELLED) {
    wa__future_cancel(outer, NULL);
  } else if (wa__task_error(inner)) {
    wa__future_set_error(outer, wa__error_ref(inner->outcome));
  } else {
    wa__future_set_result(outer, inner->result);
  }
  wa_task_release(outer);
}

/* The outer future ended first (cancelled): stop mirroring. */
static void on_outer_done(wa_task *outer, void *arg) {
  wa_task *inner = arg;
  if (inner->state == TASK_PENDING && wa_task_remove_done_callback(inner, on_inner_done, outer))
    wa_task_release(outer);
  wa_task_release(inner);
}

wa_task *wa_shield(wa_task *inner) {
  if (!inner) return wa_raise("TypeError", "wa_shield: the task is NULL"), NULL;
  if (inner->state != TASK_PENDING) { /* nothing to shield */
    wa_task_retain(inner); /* the caller's reference; only here, since a
                              pending inner's are taken below */
    return inner;
  }
  wa_task *outer = wa__future_new("shield", NULL, NULL);
  if (!outer) return wa__nomem("a shield"), NULL;
  if (wa_task_add_done_callback(inner, on_inner_done, outer) < 0) goto unmade;
  if (wa_task_add_done_callback(outer, on_outer_done, inner) < 0) {
    wa_task_remove_done_callback(inner, on_inner_done, outer);
    goto unmade;
  }
  wa_task_retain(outer); /* for on_inner_done */
  wa_task_retain(inner); /* for on_outer_done */
  return outer;
unmade: /* out of memory (raised): end the future unseen */
  wa__future_discard(outer);
  return NULL;
}
