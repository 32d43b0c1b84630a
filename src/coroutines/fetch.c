/*
 * fetch.c: C tasks meeting the world. fetch_all fetches several resources
 * at once through the host function "fetchText" (wa_host_call: a fetch()
 * on the page, a file read in Node), as this Python would:
 *
 *   async def fetch_all(urls, limit=2, timeout=None):
 *       slots, results = asyncio.Semaphore(limit), asyncio.Queue()
 *       async with asyncio.timeout(timeout):
 *           async with asyncio.TaskGroup() as tg:
 *               tg.create_task(consume(results))
 *               fetchers = [tg.create_task(fetch_one(u, slots, results)) for u in urls]
 *               await asyncio.wait(fetchers)
 *               await results.join()        # the consumer took every result
 *               results.shutdown()          # which ends the consumer
 *
 * Each fetcher takes a slot of the Semaphore before it calls the host, so
 * at most `limit` calls are in flight, and puts a line describing what came
 * back on the Queue. When the timeout fires, the group cancels every task,
 * and a fetcher cancelled while it awaits its call cancels the call, which
 * aborts the host function's AbortSignal: the fetch or read stops too.
 *
 * The tasks share one fetch_job on the heap (tasks share one C stack: a
 * local's address is good only while its task runs). Everything a task
 * touches outlives it: the job is freed after the group has ended them all.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "wasyncio.h"

/* How much of a resource's first line the consumer shows. */
enum { FETCH_LINE_MAX = 60 };

typedef struct {
  const char *url; /* borrowed from the job's parsed urls */
  double delay_ms; /* passed on for the host to wait first; NaN: none */
} fetch_resource;

typedef struct {
  wa_json *urls;               /* the parsed argument, owning the strings */
  fetch_resource *resources;
  int count;
  wa_task **fetchers;          /* references, NULL where none was spawned */
  wa_semaphore *slots;         /* one per call allowed in flight */
  wa_queue *results;           /* a line per resource, for the consumer */
  int in_flight, most_in_flight;
  int received;                /* lines the consumer took */
  double bytes;                /* what the fetchers got, added up */
} fetch_job;

/* ---- the job -------------------------------------------------------------- */

static void fetch_job_free(fetch_job *job) {
  if (!job) return;
  for (int i = 0; job->fetchers && i < job->count; i++)
    if (job->fetchers[i]) wa_task_release(job->fetchers[i]);
  free(job->fetchers);
  free(job->resources);
  wa_semaphore_free(job->slots);
  wa_queue_free(job->results);
  if (job->urls) wa__json_free(job->urls);
  free(job);
}

/* len cut to at most max bytes, backing up to a character's first byte so
   that no UTF-8 sequence is split. */
static size_t fetch_cut(const char *text, size_t len, size_t max) {
  if (len <= max) return len;
  while (max > 0 && ((unsigned char)text[max] & 0xC0) == 0x80) max--;
  return max;
}

/* Reads urls[i], "path" or {"url": "path", "delay_ms": n}, into r. A
   delay must be a time a host timer can take (Infinity is not). */
static int fetch_read_resource(const wa_json *item, int i, fetch_resource *r) {
  const wa_json *url = item, *delay = NULL;
  if (item->kind == WA_JSON_OBJECT) {
    url = wa__json_get(item, "url");
    delay = wa__json_get(item, "delay_ms");
  }
  if (!url || url->kind != WA_JSON_STRING || (delay && delay->kind != WA_JSON_NUMBER)) {
    const char *source = item->text + item->start;
    return wa_raise("TypeError", "fetch_all: urls[%d] must be a string or {\"url\": string, "
                    "\"delay_ms\": number}, not %.*s",
                    i, (int)fetch_cut(source, item->end - item->start, 60), source);
  }
  if (delay && !(delay->number >= 0 && delay->number <= 2147483647))
    return wa_raise("ValueError", "fetch_all: urls[%d]: delay_ms must be from 0 to 2147483647, not %g",
                    i, delay->number);
  r->url = url->string;
  r->delay_ms = delay ? delay->number : NAN;
  return WA_OK;
}

/* Parses the urls argument, a JSON array, into job. */
static int fetch_read_urls(fetch_job *job, const char *text) {
  char err[100];
  if (!text) return wa_raise("TypeError", "fetch_all: urls is missing");
  if (!(job->urls = wa__json_parse(text, err, sizeof err)))
    return strcmp(err, "out of memory") == 0 /* json.c's word for it, never a syntax error's */
               ? wa_raise("MemoryError", "no memory for fetch_all's urls")
               : wa_raise("ValueError", "fetch_all: urls: %s", err);
  if (job->urls->kind != WA_JSON_ARRAY)
    return wa_raise("TypeError", "fetch_all: urls must be a JSON array");
  job->count = job->urls->count;
  job->resources = calloc(job->count ? job->count : 1, sizeof *job->resources);
  job->fetchers = calloc(job->count ? job->count : 1, sizeof *job->fetchers);
  if (!job->resources || !job->fetchers)
    return wa_raise("MemoryError", "no memory for %d resources", job->count);
  for (int i = 0; i < job->count; i++) {
    int rc = fetch_read_resource(job->urls->items[i], i, &job->resources[i]);
    if (rc < 0) return rc;
  }
  return WA_OK;
}

/* A new job for fetch_all's arguments in *out, or a negative code with a
   TypeError, ValueError or MemoryError set. */
static int fetch_job_new(const wa_args *args, fetch_job **out) {
  *out = NULL;
  double limit = wa_args_has(args, "limit") ? wa_arg_number(args, "limit") : 2;
  if (!(limit >= 1 && limit <= 1e6 && limit == floor(limit)))
    return wa_raise("ValueError", "fetch_all: limit must be a whole number from 1 to 1e6, not %g",
                    limit);
  fetch_job *job = *out = calloc(1, sizeof *job);
  if (!job) return wa_raise("MemoryError", "no memory for a fetch_all job");
  int rc = fetch_read_urls(job, wa_arg_string(args, "urls"));
  if (rc == WA_OK && !(job->slots = wa_semaphore_new((int)limit))) rc = wa_reraise();
  if (rc == WA_OK && !(job->results = wa_queue_new(0, WA_QUEUE_FIFO))) rc = wa_reraise();
  if (rc < 0) {
    fetch_job_free(job);
    *out = NULL;
  }
  return rc;
}

/* ---- one fetcher ------------------------------------------------------------ */

/* What the consumer shows of a resource: "url (N bytes): its first line",
   the line cut at FETCH_LINE_MAX bytes, in a new string; NULL with a
   MemoryError set. */
static char *fetch_describe(const char *url, const char *text, size_t length) {
  if (!text) text = ""; /* no bytes */
  size_t n = 0;
  while (n < length && text[n] != '\n' && text[n] != '\r' && text[n] != '\0') n++;
  bool cut = n > FETCH_LINE_MAX;
  n = fetch_cut(text, n, FETCH_LINE_MAX);
  const char *fmt = "%s (%zu bytes): %.*s%s";
  const char *more = cut ? "\xE2\x80\xA6" : ""; /* "…" */
  int size = snprintf(NULL, 0, fmt, url, length, (int)n, text, more);
  char *line = size < 0 ? NULL : malloc((size_t)size + 1);
  if (!line) return wa_raise("MemoryError", "no memory to describe %.100s", url), NULL;
  snprintf(line, (size_t)size + 1, fmt, url, length, (int)n, text, more);
  return line;
}

/* Calls the host for r and joins the call; on success *line is what the
   consumer will show (the caller frees it) and *bytes its size. A cancel
   of the running task while it waits cancels the call (its signal aborts). */
static int fetch_call(const fetch_resource *r, char **line, size_t *bytes) {
  wa_args *a = wa_args_new();
  if (!a || wa_args_set_string(a, "url", r->url) < 0 ||
      (!isnan(r->delay_ms) && wa_args_set_number(a, "delay_ms", r->delay_ms) < 0)) {
    wa_args_free(a);
    return wa_reraise(); /* a MemoryError */
  }
  wa_task *call = wa_host_call("fetchText", a);
  wa_args_free(a); /* the host copied them */
  if (!call) return wa_reraise(); /* no such host function, or no memory */
  int rc = wa_task_join(call);
  wa_value v;
  if (rc == WA_OK) rc = wa_task_result(call, &v);
  if (rc == WA_OK && v.kind != WA_STRING && v.kind != WA_BYTES)
    rc = wa_raise("TypeError", "fetchText gave %s for %.100s: want a string or bytes",
                  v.kind == WA_NONE ? "nothing" : v.kind == WA_NUMBER ? "a number" : "JSON", r->url);
  if (rc == WA_OK) {
    const char *text = v.kind == WA_STRING ? v.string : v.bytes;
    *bytes = v.kind == WA_STRING ? strlen(v.string) : v.length;
    if (!(*line = fetch_describe(r->url, text, *bytes))) rc = WA_ERROR;
  }
  wa_task_release(call); /* frees v's text: after fetch_describe copied it */
  return rc;
}

/* One resource: waits for a slot, fetches, gives the slot back, puts the
   line on the queue. Args: the job ("job") and the resource's index. */
static int fetch_one(wa_task *self, const wa_args *args) {
  (void)self;
  fetch_job *job = wa_arg_pointer(args, "job");
  const fetch_resource *r = &job->resources[(int)wa_arg_number(args, "index")];
  int rc = wa_semaphore_acquire(job->slots); /* waits while `limit` fetch */
  if (rc == WA_ECANCELLED) wa_print("cancelled %s while it waited for a slot", r->url);
  if (rc < 0) return rc;
  if (++job->in_flight > job->most_in_flight) job->most_in_flight = job->in_flight;
  wa_print("start %s (%d in flight)", r->url, job->in_flight);
  char *line = NULL;
  size_t bytes = 0;
  rc = fetch_call(r, &line, &bytes);
  job->in_flight--;
  wa_semaphore_release(job->slots); /* a Semaphore's release cannot fail */
  if (rc == WA_ECANCELLED)
    wa_print("cancelled %s while fetching it", r->url);
  else if (rc < 0)
    wa_print("failed %s: %s: %s", r->url, wa_error_type(wa_error_current()),
             wa_error_message(wa_error_current()));
  if (rc == WA_OK) {
    job->bytes += (double)bytes;
    rc = wa_queue_put(job->results, &(wa_value){.kind = WA_STRING, .string = line}); /* copies */
  }
  free(line);
  return rc;
}

/* ---- the consumer ------------------------------------------------------------ */

/* Prints each line as it comes, until the queue is shut down and empty. */
static int fetch_consume(wa_task *self, const wa_args *args) {
  (void)self;
  fetch_job *job = wa_arg_pointer(args, "job");
  for (;;) {
    wa_value item;
    int rc = wa_queue_get(job->results, &item);
    if (rc < 0 && wa_error_matches("QueueShutDown")) { /* every line taken */
      wa_error_clear();
      return WA_OK;
    }
    if (rc < 0) return rc;
    job->received++;
    wa_print("got %s", item.string);
    wa_value_clear(&item);
    rc = wa_queue_task_done(job->results);
    if (rc < 0) return rc;
  }
}

/* ---- fetch_all ------------------------------------------------------------ */

/* Spawns fn(job, index) into g as a task named name; a new reference, or
   NULL with the indicator set. */
static wa_task *fetch_spawn(wa_group *g, wa_coro_fn fn, fetch_job *job, int index, const char *name) {
  wa_args *a = wa_args_new();
  if (!a || wa_args_set_pointer(a, "job", job) < 0 || wa_args_set_number(a, "index", index) < 0) {
    wa_args_free(a);
    return NULL; /* a MemoryError */
  }
  return wa_group_spawn(g, fn, a, name); /* takes a, even when it fails */
}

/* The group's body: the consumer, a fetcher per resource, then waits for
   the fetchers and for the consumer to have taken every line. A fetcher
   that fails makes the group cancel this wait, and the rest. */
static int fetch_body(wa_group *g, fetch_job *job) {
  wa_task *consumer = fetch_spawn(g, fetch_consume, job, -1, "consumer");
  if (!consumer) return wa_reraise();
  wa_task_release(consumer); /* the group holds it */
  for (int i = 0; i < job->count; i++) {
    char name[64];
    snprintf(name, sizeof name, "fetch %s", job->resources[i].url); /* the spawn copies it */
    if (!(job->fetchers[i] = fetch_spawn(g, fetch_one, job, i, name))) return wa_reraise();
  }
  int rc = job->count ? wa_wait(job->fetchers, job->count, WA_ALL_COMPLETED, INFINITY, NULL) : WA_OK;
  if (rc >= 0) rc = wa_queue_join(job->results);
  if (rc >= 0) wa_queue_shutdown(job->results, false); /* the consumer's next get ends it */
  return rc < 0 ? rc : WA_OK;
}

/* The task group under the timeout. */
static int fetch_run(fetch_job *job, double timeout_ms) {
  wa_timeout *to = wa_timeout_new(timeout_ms);
  if (!to) return wa_reraise();
  int rc = wa_timeout_enter(to);
  if (rc == WA_OK) {
    wa_group *g = wa_group_new();
    rc = g ? wa_group_enter(g) : wa_reraise();
    if (rc == WA_OK) rc = fetch_body(g, job);
    if (g) rc = wa_group_exit(g, rc); /* waits for every task it holds */
    wa_group_free(g);
  }
  rc = wa_timeout_exit(to, rc); /* its cancel becomes a TimeoutError */
  wa_timeout_free(to);
  return rc;
}

/* fetch_all(urls, limit = 2, timeout_ms = none): urls is a JSON array of
   "url" or {"url": "url", "delay_ms": ms} (the host waits that long first:
   a slow network). Returns {"files", "bytes", "most_in_flight"}; fails
   with TimeoutError when the timeout fires first, or with an
   ExceptionGroup of the fetches' errors. */
static int fetch_all(wa_task *self, const wa_args *args) {
  fetch_job *job = NULL;
  int rc = fetch_job_new(args, &job);
  if (rc < 0) return rc;
  double timeout_ms = wa_args_has(args, "timeout_ms") ? wa_arg_number(args, "timeout_ms") : INFINITY;
  rc = fetch_run(job, timeout_ms);
  if (rc == WA_OK) {
    char result[128];
    wa_print("fetched %d files, %.0f bytes, at most %d at a time", job->received, job->bytes,
             job->most_in_flight);
    snprintf(result, sizeof result, "{\"files\": %d, \"bytes\": %.0f, \"most_in_flight\": %d}",
             job->received, job->bytes, job->most_in_flight);
    rc = wa_return_value(self, &(wa_value){.kind = WA_JSON, .string = result});
  }
  fetch_job_free(job);
  return rc;
}
WA_EXPORT_COROUTINE(fetch_all, "urls:json, limit?:number, timeout_ms?:number")
