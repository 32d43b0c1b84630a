/*
 * timer.c: the timer heap. A binary min-heap ordered by (deadline,
 * sequence number): CPython's heap is not stable, ours is, so timers with
 * equal deadlines (common when browsers round the clock) fire in the order
 * they were set. Each timer knows its index, so stopping one is O(log n).
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

static wa_timer **heap;
static int count, cap;
static int reserved; /* timers that may be in the heap at once */
static uint64_t next_seq;

/* As the ready queue (loop.c): room is reserved when a timer's owner is
   made, so starting a timer (a sleep) never needs memory. */
int wa__timer_reserve(int n) {
  if (reserved + n > cap) {
    int want = cap ? cap : 64;
    while (want < reserved + n) want *= 2;
    wa_timer **grown = wa__realloc(heap, want * sizeof *heap);
    if (!grown) return WA_ERROR;
    heap = grown;
    cap = want;
  }
  reserved += n;
  return WA_OK;
}

void wa__timer_unreserve(int n) { reserved -= n; }

static bool before(const wa_timer *a, const wa_timer *b) {
  return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void place(wa_timer *t, int i) {
  heap[i] = t;
  t->index = i;
}

static void sift_up(int i) {
  wa_timer *t = heap[i];
  while (i > 0) {
    int parent = (i - 1) / 2;
    if (!before(t, heap[parent])) break;
    place(heap[parent], i);
    i = parent;
  }
  place(t, i);
}

static void sift_down(int i) {
  wa_timer *t = heap[i];
  for (;;) {
    int child = 2 * i + 1;
    if (child >= count) break;
    if (child + 1 < count && before(heap[child + 1], heap[child])) child++;
    if (!before(heap[child], t)) break;
    place(heap[child], i);
    i = child;
  }
  place(t, i);
}

void wa__timer_start(wa_timer *t, double when) {
  if (!(when < INFINITY)) when = INFINITY; /* NaN too: never, not a broken heap */
  if (count == cap) { /* cannot happen while every owner reserved its room */
    wa_host_report("timer heap full and no memory to grow it: a timer was lost", -1);
    return;
  }
  t->when = when;
  t->seq = next_seq++;
  place(t, count++);
  sift_up(t->index);
}

void wa__timer_stop(wa_timer *t) {
  int i = t->index;
  if (i < 0) return;
  t->index = -1;
  wa_timer *last = heap[--count];
  if (i == count) return;
  place(last, i);
  sift_down(i);
  sift_up(last->index);
}

wa_timer *wa__timer_peek(void) { return count ? heap[0] : NULL; }

wa_timer *wa__timer_pop(void) {
  wa_timer *t = wa__timer_peek();
  if (t) wa__timer_stop(t);
  return t;
}

int wa__timer_count(void) { return count; }
