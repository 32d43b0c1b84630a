/*
 * notebook.c: the seed notebook's cells, as C coroutines.
 */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "wasyncio.h"

/* Sleeps a second and reports; when cancelled, says so and re-raises. */
static int some_coro(wa_task *self, const wa_args *args) {
  double param = wa_arg_number(args, "param");
  int rc = wa_sleep(1000);
  if (rc == WA_ECANCELLED) {
    wa_print("Cancelled coro with param: %.15g", param);
    return rc;
  }
  if (rc < 0) return rc;
  wa_print("Completed coro with param: %.15g", param);
  return wa_return_number(self, param);
}
WA_EXPORT_COROUTINE(some_coro, "param:number")

/* Prints the date and time every 500 ms for 1.5 s, as datetime.now() does. */
static int display_date(wa_task *self, const wa_args *args) {
  (void)self, (void)args;
  double end_time = wa_time() + 1500;
  for (;;) {
    struct timeval tv;
    struct tm tm;
    char date[32];
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
    wa_print("%s.%06ld", date, (long)tv.tv_usec);
    if (wa_time() + 500 >= end_time) return WA_OK;
    int rc = wa_sleep(500);
    if (rc < 0) return rc;
  }
}
WA_EXPORT_COROUTINE(display_date, "")
