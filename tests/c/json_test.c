/*
 * json_test.c: the checks of src/coroutines/json.c. npm test runs them built to wasm
 * (tests/coroutines/json.test.mjs); they also build natively:
 *
 *   gcc -std=c11 -Wall -Wextra -I src/coroutines tests/c/json_test.c src/coroutines/json.c -o /tmp/jt && /tmp/jt
 *
 * Add -fsanitize=address,undefined to check for leaks and undefined
 * behaviour. Prints each failed check and exits non-zero if there were any.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __EMSCRIPTEN__
#include <malloc.h>
#endif

#include "json.h"

/* ---- what alloc.c gives json.c in the runtime, with failures on demand -- */

static long allocs;   /* allocations asked for so far */
static long fail_at;  /* the number of the one that fails, 0: none */

/* Zeroed, or NULL when out of memory, as in alloc.c; the fail_at-th call
   (counting both functions) is out of memory. */
void *wa__alloc(size_t size) {
  if (++allocs == fail_at) return NULL;
  return calloc(1, size);
}

char *wa__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = wa__alloc(n);
  return copy ? memcpy(copy, s, n) : NULL;
}

/* Bytes allocated and not freed, to see that a failed parse freed all it
   built: json.c frees with free(), which the test cannot wrap, so it asks
   the allocator. Only Emscripten's dlmalloc counts exactly (glibc's keeps
   freed chunks in per-thread caches, and ASan's mallinfo is all zeros);
   elsewhere this is 0 and the leak check is LeakSanitizer's at exit. */
static long live_bytes(void) {
#ifdef __EMSCRIPTEN__
  return (long)mallinfo().uordblks;
#else
  return 0;
#endif
}

static int checks, failures;

#define CHECK(cond) check((cond), #cond, __LINE__)

static void check(int ok, const char *what, int line) {
  checks++;
  if (!ok) {
    failures++;
    printf("FAIL line %d: %s\n", line, what);
  }
}

static char err[128];

/* Parses text, which must be valid. */
static wa_json *parse(const char *text) {
  wa_json *v = wa__json_parse(text, err, sizeof err);
  if (!v) printf("unexpected error for %s: %s\n", text, err);
  return v;
}

/* True when v's source text is exactly want. */
static int source_is(const wa_json *v, const char *want) {
  char *s = wa__json_source(v);
  int ok = strcmp(s, want) == 0;
  if (!ok) printf("source: got '%s', want '%s'\n", s, want);
  free(s);
  return ok;
}

static void test_scalars(void) {
  wa_json *v;
  CHECK((v = parse("null")) && v->kind == WA_JSON_NULL);
  wa__json_free(v);
  CHECK((v = parse("true")) && v->kind == WA_JSON_BOOL && v->boolean);
  wa__json_free(v);
  CHECK((v = parse("false")) && v->kind == WA_JSON_BOOL && !v->boolean);
  wa__json_free(v);
  struct { const char *text; double want; } nums[] = {
    {"0", 0}, {"-0", 0}, {"42", 42}, {"-3.25", -3.25}, {"1e2", 100}, {"1E+2", 100},
    {"25e-2", 0.25}, {"-0.5e1", -5}, {"10.0", 10}, {"123456789", 123456789},
    /* Integers of up to 15 digits are read without strtod; longer ones,
       and any with a fraction or exponent, with it: both sides of that. */
    {"999999999999999", 999999999999999.0}, {"-999999999999999", -999999999999999.0},
    {"9007199254740993", 9007199254740992.0}, {"12345678901234567890", 12345678901234567890.0},
    {"1e400", HUGE_VAL}, {"-1e400", -HUGE_VAL},
  };
  for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
    CHECK((v = parse(nums[i].text)) && v->kind == WA_JSON_NUMBER && v->number == nums[i].want);
    wa__json_free(v);
  }
  /* -0 keeps its sign, as strtod gives it. */
  CHECK((v = parse("-0")) && v->number == 0 && signbit(v->number));
  wa__json_free(v);
  CHECK((v = parse("0")) && !signbit(v->number));
  wa__json_free(v);
  CHECK((v = parse("\"hi there\"")) && v->kind == WA_JSON_STRING && !strcmp(v->string, "hi there"));
  wa__json_free(v);
  CHECK((v = parse("\"\"")) && v->kind == WA_JSON_STRING && v->string[0] == '\0');
  wa__json_free(v);
  /* Surrounding whitespace is allowed but is not part of the value. */
  CHECK((v = parse(" \t\r\n 7 \n")) && v->number == 7 && v->start == 5 && v->end == 6);
  CHECK(v && source_is(v, "7"));
  wa__json_free(v);
  wa__json_free(NULL);
}

static void test_nested(void) {
  wa_json *v = parse("{\"b\": [1, [], {}, [true, null]], \"a\": {\"x\": \"y\"}, \"b\": 2, \"\": 3}");
  CHECK(v && v->kind == WA_JSON_OBJECT && v->count == 4);
  if (!v) return;
  CHECK(!strcmp(v->keys[0], "b") && !strcmp(v->keys[1], "a") && !strcmp(v->keys[2], "b") &&
        !strcmp(v->keys[3], ""));
  wa_json *b = wa__json_get(v, "b");
  CHECK(b == v->items[0] && b->kind == WA_JSON_ARRAY && b->count == 4);
  CHECK(b->items[0]->number == 1);
  CHECK(b->items[1]->kind == WA_JSON_ARRAY && b->items[1]->count == 0);
  CHECK(b->items[2]->kind == WA_JSON_OBJECT && b->items[2]->count == 0);
  CHECK(b->items[3]->count == 2 && b->items[3]->items[0]->boolean &&
        b->items[3]->items[1]->kind == WA_JSON_NULL);
  wa_json *x = wa__json_get(wa__json_get(v, "a"), "x");
  CHECK(x && !strcmp(x->string, "y"));
  CHECK(v->items[2]->number == 2);
  CHECK(wa__json_get(v, "")->number == 3);
  CHECK(wa__json_get(v, "nope") == NULL);
  CHECK(wa__json_get(b, "b") == NULL); /* not an object */
  CHECK(wa__json_get(NULL, "b") == NULL);
  wa__json_free(v);

  /* Enough items to make the arrays grow several times. */
  char text[4000] = "[";
  for (int i = 0; i < 1000; i++) strcat(text, i ? ",0" : "0");
  strcat(text, "]");
  CHECK((v = parse(text)) && v->count == 1000 && v->items[999]->kind == WA_JSON_NUMBER);
  wa__json_free(v);
  strcpy(text, "{");
  for (int i = 0; i < 300; i++) sprintf(text + strlen(text), "%s\"k%d\":%d", i ? "," : "", i, i);
  strcat(text, "}");
  CHECK((v = parse(text)) && v->count == 300);
  CHECK(v && wa__json_get(v, "k299")->number == 299 && !strcmp(v->keys[150], "k150"));
  wa__json_free(v);
}

static void test_strings(void) {
  wa_json *v = parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t|\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"");
  CHECK(v && !strcmp(v->string, "\"\\/\b\f\n\r\t|A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  wa__json_free(v);
  v = parse("\"\\ud83d\\ude00\"");
  CHECK(v && !strcmp(v->string, "\xf0\x9f\x98\x80") && strlen(v->string) == 4);
  wa__json_free(v);
  /* U+10FFFF, the last code point. */
  CHECK((v = parse("\"\\uDBFF\\uDFFF\"")) && !strcmp(v->string, "\xf4\x8f\xbf\xbf"));
  wa__json_free(v);
  /* Lone surrogates become U+FFFD; what follows is kept. */
  CHECK((v = parse("\"a\\ud800b\\udc00\\ud800\\u0041\"")) &&
        !strcmp(v->string, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "A"));
  wa__json_free(v);
  /* Raw UTF-8 passes through; an embedded \u0000 truncates. */
  CHECK((v = parse("\"caf\xc3\xa9 \xf0\x9f\x98\x80\"")) && !strcmp(v->string, "caf\xc3\xa9 \xf0\x9f\x98\x80"));
  wa__json_free(v);
  CHECK((v = parse("\"ab\\u0000cd\"")) && !strcmp(v->string, "ab"));
  wa__json_free(v);
  /* Escaped keys are decoded too. */
  CHECK((v = parse("{\"a\\nb\": 1}")) && wa__json_get(v, "a\nb"));
  wa__json_free(v);
}

static void test_source(void) {
  const char *text = " {\"k\": [ 1, [2 ,\n 3 ] , \"x]\" ] , \"n\" : -1.5e3 } ";
  wa_json *v = parse(text);
  CHECK(v != NULL);
  if (!v) return;
  CHECK(source_is(v, "{\"k\": [ 1, [2 ,\n 3 ] , \"x]\" ] , \"n\" : -1.5e3 }"));
  wa_json *k = wa__json_get(v, "k");
  CHECK(source_is(k, "[ 1, [2 ,\n 3 ] , \"x]\" ]"));
  CHECK(source_is(k->items[1], "[2 ,\n 3 ]"));
  CHECK(source_is(k->items[1]->items[1], "3"));
  CHECK(source_is(k->items[2], "\"x]\""));
  CHECK(source_is(wa__json_get(v, "n"), "-1.5e3"));
  CHECK(k->text == v->text && k->text != text); /* the document's own copy */
  /* The source of a sub-tree parses on its own, as another task would. */
  char *sub = wa__json_source(k->items[1]);
  wa_json *w = parse(sub);
  CHECK(w && w->count == 2 && w->items[1]->number == 3);
  wa__json_free(w);
  free(sub);
  wa__json_free(v);
}

static void test_depth(void) {
  char text[300];
  for (int n = 63; n <= 65; n++) {
    memset(text, '[', (size_t)n);
    memset(text + n, ']', (size_t)n);
    text[2 * n] = '\0';
    wa_json *v = wa__json_parse(text, err, sizeof err);
    CHECK(n <= 64 ? v != NULL : v == NULL && strstr(err, "offset 64: nesting too deep"));
    wa__json_free(v);
  }
  memset(text, '[', 100);
  text[100] = '\0';
  CHECK(!wa__json_parse(text, err, sizeof err) && strstr(err, "offset 64"));
  /* {"a":[{"a":[... 100 deep: objects count too; the 65th opener is at 32 * 6. */
  char objs[600] = "";
  for (int i = 0; i < 100; i++) strcat(objs, i % 2 ? "[" : "{\"a\":");
  CHECK(!wa__json_parse(objs, err, sizeof err) && strstr(err, "offset 192: nesting too deep"));
}

static void test_invalid(void) {
  struct { const char *text; int offset; } bad[] = {
    {"", 0}, {"   ", 3}, {"[", 1}, {"[1,]", 3}, {"[1 2]", 3}, {"[,1]", 1}, {"]", 0},
    {"{\"a\"}", 4}, {"{\"a\":}", 5}, {"{,}", 1}, {"{\"a\":1,}", 7}, {"{1:2}", 1},
    {"{\"a\" 1}", 5}, {"{'a':1}", 1}, {"{\"a\":1", 6}, {"[1] x", 4}, {"1 2", 2},
    {"01", 0}, {"-01", 1}, {"1.", 2}, {".5", 0}, {"+1", 0}, {"-", 1}, {"1e", 2},
    {"1e+", 3}, {"1.e3", 2}, {"0x10", 1}, {"NaN", 0}, {"Infinity", 0}, {"-Infinity", 1},
    {"tru", 0}, {"True", 0}, {"nul", 0}, {"nulls", 4}, {"\"\\x\"", 1}, {"\"abc", 0},
    {"\"a\nb\"", 2}, {"\"\t\"", 1}, {"\"\\u12\"", 1}, {"\"\\u12G4\"", 1}, {"\"\\", 0},
    {"\"\\\n\"", 1}, {"[\"a\",]", 5}, {"\x01", 0}, {"[1]]", 3}, {"\xef\xbb\xbf{}", 0},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char want[40];
    snprintf(want, sizeof want, "JSON error at offset %d: ", bad[i].offset);
    wa_json *v = wa__json_parse(bad[i].text, err, sizeof err);
    int ok = v == NULL && strncmp(err, want, strlen(want)) == 0;
    if (!ok) printf("input '%s': got '%s', want '%s...'\n", bad[i].text, v ? "a value" : err, want);
    CHECK(ok);
    wa__json_free(v);
  }
  /* The error buffer is optional, and a short one is cut, not overrun. */
  CHECK(wa__json_parse("[", NULL, 0) == NULL);
  char small[8];
  CHECK(wa__json_parse("[1,]", small, sizeof small) == NULL && !strcmp(small, "JSON er"));
  /* A success leaves an empty message. */
  wa_json *v = wa__json_parse("1", err, sizeof err);
  CHECK(v && err[0] == '\0');
  wa__json_free(v);
}

/* Makes each allocation of a parse of text fail in turn: every one must
   fail the parse with "out of memory" and leave nothing allocated. Returns
   how many allocations the parse makes. */
static long check_out_of_memory(const char *text) {
  long before = allocs;
  wa_json *v = parse(text);
  long n = allocs - before;
  wa__json_free(v);
  CHECK(v != NULL && n > 0);
  for (long k = 1; k <= n; k++) {
    long live = live_bytes();
    fail_at = allocs + k;
    v = wa__json_parse(text, err, sizeof err);
    fail_at = 0;
    int ok = v == NULL && strcmp(err, "out of memory") == 0 && live_bytes() == live;
    if (!ok)
      printf("allocation %ld of %ld failing in '%.40s': got %s, %ld bytes more in use\n", k, n,
             text, v ? "a value" : err, live_bytes() - live);
    CHECK(ok);
    wa__json_free(v);
  }
  /* One more than it needs: the failure is never reached. */
  fail_at = allocs + n + 1;
  CHECK((v = parse(text)) != NULL);
  fail_at = 0;
  wa__json_free(v);
  return n;
}

static void test_out_of_memory(void) {
  /* Every kind of node, escaped strings and keys, and arrays and objects
     long enough to grow (at 4 and 8 items). */
  CHECK(check_out_of_memory("7") == 3); /* the document, its copy of the text, a chunk */
  /* A document big enough for several chunks (1 KiB, then doubling): a
     failure at each one. */
  char big[4000] = "[";
  for (int i = 0; i < 300; i++) strcat(big, i ? ",[\"ab\",1]" : "[\"ab\",1]");
  strcat(big, "]");
  CHECK(check_out_of_memory(big) >= 5);
  check_out_of_memory("\"a\\u00e9\"");
  check_out_of_memory("{\"b\": [1, [], {}, [true, null]], \"a\\n\": {\"x\": \"y\"}, \"b\": 2}");
  check_out_of_memory("[0,1,2,3,4,5,6,7,8,[\"s\",{\"k\":-1.5e3}]]");
  check_out_of_memory("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9}");
  /* Input with a syntax error further on: memory ran out first, and that
     is what is reported. */
  fail_at = allocs + 2;
  CHECK(!wa__json_parse("[1,]", err, sizeof err) && !strcmp(err, "out of memory"));
  fail_at = 0;
  /* wa__json_source gives NULL. */
  wa_json *v = parse("[1, 2]");
  fail_at = allocs + 1;
  CHECK(v && wa__json_source(v->items[1]) == NULL);
  fail_at = 0;
  wa__json_free(v);
}

/* ---- lazy parses ---------------------------------------------------------- */

/* a and b hold the same JSON; b's lazy nodes are built as they are met.
   Counts the nodes that were lazy in *opened. */
static int same(const wa_json *a, wa_json *b, int *opened) {
  if (b->lazy) {
    (*opened)++;
    if (wa__json_open(b) != 0 || b->lazy) return 0;
  }
  if (a->kind != b->kind || a->count != b->count || a->start != b->start || a->end != b->end) return 0;
  if (a->kind == WA_JSON_NUMBER && a->number != b->number) return 0;
  if (a->kind == WA_JSON_BOOL && a->boolean != b->boolean) return 0;
  if (a->kind == WA_JSON_STRING && strcmp(a->string, b->string) != 0) return 0;
  for (int i = 0; i < a->count; i++) {
    if (a->kind == WA_JSON_OBJECT && strcmp(a->keys[i], b->keys[i]) != 0) return 0;
    if (!same(a->items[i], b->items[i], opened)) return 0;
  }
  return 1;
}

static const char DOC[] =
    "[[\"spawn\", \"a\", [[\"sleep\", 5], [\"log\", \"x\\u00e9\"]]], [\"try\", [[\"raise\", \"E\", null]], "
    "{\"E\": [[\"log_error\"]], \"finally\": []}], [\"gather\", [[\"k\", [[\"return\", 1.5e1]]]], true], "
    "[], {\"deep\": [[[[[[1, [2, {\"z\": false}]]]]]]]}]";

static void test_lazy(void) {
  wa_json *full = parse(DOC);
  /* At each depth, the lazy tree built as it is walked is the full one. */
  for (int at = 0; at <= 10; at++) { /* the deepest container is 9 deep */
    wa_json *v = wa__json_parse_lazy(DOC, at, err, sizeof err);
    int opened = 0;
    CHECK(v && full && same(full, v, &opened));
    CHECK(at == 10 ? opened == 0 : opened > 0);
    wa__json_free(v);
  }
  /* Two levels built: the steps' arguments are there, their lists lazy. */
  wa_json *v = wa__json_parse_lazy(DOC, 2, err, sizeof err);
  CHECK(v && !v->lazy && v->count == 5 && !v->items[0]->lazy && v->items[0]->count == 3);
  wa_json *list = v->items[0]->items[2];
  CHECK(list->kind == WA_JSON_ARRAY && list->lazy && list->count == 0 && source_is(list, "[[\"sleep\", 5], [\"log\", \"x\\u00e9\"]]"));
  CHECK(v->items[0]->items[1]->kind == WA_JSON_STRING && !strcmp(v->items[0]->items[1]->string, "a"));
  CHECK(wa__json_open(list) == 0 && !list->lazy && list->count == 2);
  /* ...and two levels below it: its steps, whose arguments are scalars. */
  CHECK(!list->items[1]->lazy && !strcmp(list->items[1]->items[1]->string, "x\xc3\xa9"));
  CHECK(wa__json_open(list) == 0 && list->count == 2); /* again: nothing to do */
  CHECK(wa__json_open(v->items[1]) == 0 && v->items[1]->count == 3); /* never lazy: nothing to do */
  CHECK(v->items[1]->items[1]->lazy && v->items[1]->items[2]->lazy); /* a list and an object */
  wa__json_free(v);
  wa__json_free(full);
  /* Errors anywhere, lazy parts included, fail the parse as a full parse
     does, at the same offset. */
  static const char *const bad[] = {
      "[[1, [2, [3, [}]]]]", "[[1, [\"\\x\"]]]", "[[[[[01]]]]]", "[[[\"a\"] [\"b\"]]]", "[[[\"\\u12\"]]]",
      "[[{\"a\": [1,]}]]", "[[[\"\x01\"]]]", "[[[tru]]]",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char want[128];
    CHECK(!wa__json_parse(bad[i], want, sizeof want));
    for (int at = 0; at <= 3; at++) {
      int ok = !wa__json_parse_lazy(bad[i], at, err, sizeof err) && !strcmp(err, want);
      if (!ok) printf("lazy at %d, '%s': got '%s', want '%s'\n", at, bad[i], err, want);
      CHECK(ok);
    }
  }
  /* Out of memory while building: -1, the node still lazy and whole; it
     builds once memory is back, and freeing frees all. */
  static char big[8000] = "["; /* static: the test runs on a 16 KiB stack */
  for (int i = 0; i < 400; i++) strcat(big, i ? ",[\"ab\",[1,2]]" : "[\"ab\",[1,2]]");
  strcat(big, "]");
  long live = live_bytes();
  v = wa__json_parse_lazy(big, 1, err, sizeof err);
  CHECK(v && v->count == 400 && v->items[399]->lazy);
  int failed = 0;
  for (int i = 0; v && i < 400; i++) {
    fail_at = allocs + 1;
    if (wa__json_open(v->items[i]) != 0) {
      failed++;
      CHECK(v->items[i]->lazy && v->items[i]->count == 0);
    }
    fail_at = 0;
    CHECK(wa__json_open(v->items[i]) == 0 && v->items[i]->count == 2 && !strcmp(v->items[i]->items[0]->string, "ab"));
  }
  CHECK(failed > 0); /* some needed a new chunk */
  wa__json_free(v);
  CHECK(live_bytes() == live);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0); /* every line out before a crash */
  test_scalars();
  test_nested();
  test_strings();
  test_source();
  test_depth();
  test_invalid();
  test_out_of_memory();
  test_lazy();
  printf("%d checks, %d failed\n", checks, failures);
  return failures != 0;
}
