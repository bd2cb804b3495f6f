/* The backoff machine: every machine trace of test/vectors/reconnect.json
 * under a one-timer manual clock (events, state, retry count, canReconnect
 * after each step), the jitter band, JavaScript number semantics of the
 * delay, bad configurations, and reentrant operations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backoff/backoff.h"
#include "json/json.h"
#include "test/test.h"

static double num(esn_json_value obj, const char *key, double dflt) {
  esn_json_value v;
  double d;
  if (!esn_test_field(obj, key, &v) || esn_json_get_number(v, &d) != 0) return dflt;
  return d;
}

static int str_eq(esn_json_value obj, const char *key, const char *want) {
  esn_json_value v;
  const char *s;
  size_t n;
  if (!esn_test_field(obj, key, &v) || esn_json_get_string(v, &s, &n) != 0) return 0;
  return n == strlen(want) && memcmp(s, want, n) == 0;
}

static const char *const kEventNames[] = {"state_change", "retry_scheduled", "retry_started",
                                          "connected",    "disconnected",    "failed"};

/* A driver like lib/reconnect: runs the steps of an operation, keeps the one
 * retry timer, and collects the visible events. */
typedef struct {
  esn_backoff m;
  double now;
  int timer_set;
  double timer_at, timer_attempt;
  esn_backoff_event events[32];
  size_t nevents;
} driver;

static void run(driver *d, int step, double arg) {
  double sched_delay = 0, sched_attempt = 0;
  while (step != ESN_BSTEP_DONE) {
    esn_backoff_event ev[ESN_BACKOFF_MAX_EVENTS];
    int next = -1;
    size_t n = esn_backoff_step(&d->m, step, step == ESN_BSTEP_SCHEDULE ? 0.5 : arg, ev, &next);
    CHECK(n <= ESN_BACKOFF_MAX_EVENTS);
    for (size_t i = 0; i < n; i++) {
      switch (ev[i].type) {
        case ESN_BEV_ARM_TIMER:
          d->timer_set = 1;
          d->timer_at = d->now + sched_delay;
          d->timer_attempt = sched_attempt;
          break;
        case ESN_BEV_CANCEL_TIMER:
          d->timer_set = 0;
          break;
        default:
          if (ev[i].type == ESN_BEV_RETRY_SCHEDULED) {
            sched_delay = ev[i].delay_ms;
            sched_attempt = ev[i].attempt;
          }
          if (d->nevents < 32) d->events[d->nevents++] = ev[i];
      }
    }
    step = next;
  }
}

static void advance(driver *d, double ms) {
  double end = d->now + ms;
  /* Node runs a timer of delay < 1 after 1 ms. */
  while (d->timer_set && d->timer_at <= end) {
    d->now = d->timer_at;
    d->timer_set = 0;
    run(d, ESN_BSTEP_FIRED, d->timer_attempt);
  }
  d->now = end;
}

static int state_code(esn_json_value v, const char *key) {
  for (int s = 0; s < 6; s++)
    if (str_eq(v, key, esn_conn_state_name((esn_conn_state)s))) return s;
  return -1;
}

static void check_events(const driver *d, esn_json_value want, int trace, int stepno) {
  long n = esn_json_size(want);
  CHECK_EQ_INT(d->nevents, n);
  if ((long)d->nevents != n) {
    fprintf(stderr, "  trace %d step %d\n", trace, stepno);
    return;
  }
  esn_json_iter it;
  esn_json_value e;
  size_t i = 0;
  esn_json_array_begin(want, &it);
  while (esn_json_array_next(&it, &e)) {
    const esn_backoff_event *g = &d->events[i++];
    CHECK(g->type < 6 && str_eq(e, "type", kEventNames[g->type]));
    switch (g->type) {
      case ESN_BEV_STATE_CHANGE:
        CHECK_EQ_INT(g->state, state_code(e, "state"));
        CHECK_EQ_INT(g->prev, state_code(e, "previousState"));
        break;
      case ESN_BEV_RETRY_SCHEDULED:
        CHECK(g->attempt == num(e, "attempt", -1));
        CHECK(g->delay_ms == num(e, "delayMs", -1));
        break;
      case ESN_BEV_RETRY_STARTED:
        CHECK(g->attempt == num(e, "attempt", -1));
        break;
      case ESN_BEV_FAILED: {
        esn_json_value r;
        int has_reason = esn_test_field(e, "reason", &r);
        if (g->reason == ESN_BREASON_OR_DEFAULT && !has_reason) CHECK(0);
        break;
      }
      default:
        break;
    }
  }
}

static void machine_traces(esn_json_value root) {
  esn_json_value machines, m;
  CHECK(esn_test_field(root, "machine", &machines));
  esn_json_iter it;
  int t = 0;
  esn_json_array_begin(machines, &it);
  while (esn_json_array_next(&it, &m)) {
    esn_json_value cfg, trace, s;
    CHECK(esn_test_field(m, "config", &cfg));
    CHECK(esn_test_field(m, "trace", &trace));
    esn_backoff_config c = esn_backoff_defaults();
    c.max_retries = num(cfg, "maxRetries", c.max_retries);
    c.initial_delay_ms = num(cfg, "initialDelayMs", c.initial_delay_ms);
    c.max_delay_ms = num(cfg, "maxDelayMs", c.max_delay_ms);
    c.backoff_multiplier = num(cfg, "backoffMultiplier", c.backoff_multiplier);
    c.jitter_factor = num(cfg, "jitterFactor", c.jitter_factor);
    esn_json_value jv;
    if (esn_test_field(cfg, "jitter", &jv)) c.jitter = esn_json_type_of(jv) == ESN_JSON_TRUE;
    driver d;
    memset(&d, 0, sizeof d);
    esn_backoff_init(&d.m, &c);
    esn_json_iter ti;
    int stepno = 0;
    esn_json_array_begin(trace, &ti);
    while (esn_json_array_next(&ti, &s)) {
      esn_json_value step, events;
      CHECK(esn_test_field(s, "step", &step));
      d.nevents = 0;
      if (str_eq(step, "op", "advance")) advance(&d, num(step, "ms", 0));
      else if (str_eq(step, "op", "connect")) run(&d, ESN_BSTEP_CONNECT, 0);
      else if (str_eq(step, "op", "onConnected")) run(&d, ESN_BSTEP_CONNECTED, 0);
      else if (str_eq(step, "op", "onDisconnected")) run(&d, ESN_BSTEP_DISCONNECTED, 0);
      else if (str_eq(step, "op", "onFatalError")) run(&d, ESN_BSTEP_FATAL, 0);
      else if (str_eq(step, "op", "close")) run(&d, ESN_BSTEP_CLOSE, 0);
      else if (str_eq(step, "op", "reset")) run(&d, ESN_BSTEP_RESET, 0);
      else CHECK(0);
      CHECK(esn_test_field(s, "events", &events));
      check_events(&d, events, t, stepno);
      CHECK_EQ_INT(d.m.state, state_code(s, "state"));
      CHECK(d.m.retry_count == num(s, "retryCount", -1));
      esn_json_value cr;
      CHECK(esn_test_field(s, "canReconnect", &cr));
      CHECK_EQ_INT(esn_backoff_can_reconnect(&d.m), esn_json_type_of(cr) == ESN_JSON_TRUE);
      stepno++;
    }
    t++;
  }
  CHECK(t >= 30);
}

static void jitter_band(esn_json_value root) {
  esn_json_value bands, b;
  CHECK(esn_test_field(root, "jitter", &bands));
  esn_json_iter it;
  esn_json_array_begin(bands, &it);
  while (esn_json_array_next(&it, &b)) {
    esn_backoff m;
    esn_backoff_init(&m, NULL);
    m.retry_count = num(b, "retryCount", 0);
    double base = fmin(1000 * pow(2, m.retry_count), 30000);
    double lo = base - base * 0.3, hi = base + base * 0.3;
    /* The vector's band (seen over samples) lies within the theoretical one. */
    CHECK(num(b, "min", -1) >= lo && num(b, "max", -1) <= hi);
    for (int i = 0; i <= 1000; i++) {
      double r = i / 1000.0 * 0.9999999999;
      double d = esn_backoff_delay(&m, r);
      CHECK(d >= floor(lo) && d <= ceil(hi) && d == floor(d));
    }
  }
}

static void js_numbers(void) {
  esn_backoff m;
  esn_backoff_config c = esn_backoff_defaults();
  c.jitter = 0;
  /* huge multiplier: Infinity, capped by maxDelayMs */
  c.backoff_multiplier = 1e308;
  esn_backoff_init(&m, &c);
  m.retry_count = 3;
  CHECK(esn_backoff_delay(&m, 0) == 30000);
  c.max_delay_ms = INFINITY;
  esn_backoff_init(&m, &c);
  m.retry_count = 3;
  CHECK(isinf(esn_backoff_delay(&m, 0)));
  /* 0 * Infinity: NaN, as in JavaScript */
  c.initial_delay_ms = 0;
  esn_backoff_init(&m, &c);
  m.retry_count = 3;
  CHECK(isnan(esn_backoff_delay(&m, 0)));
  /* NaN anywhere: NaN */
  c = esn_backoff_defaults();
  c.jitter = 0;
  c.max_delay_ms = NAN;
  esn_backoff_init(&m, &c);
  CHECK(isnan(esn_backoff_delay(&m, 0)));
  /* Math.round: halves up, -0 for (-0.5, 0) */
  c = esn_backoff_defaults();
  c.jitter = 0;
  c.initial_delay_ms = 2.5;
  esn_backoff_init(&m, &c);
  CHECK(esn_backoff_delay(&m, 0) == 3);
  c.initial_delay_ms = -2.5;
  esn_backoff_init(&m, &c);
  CHECK(esn_backoff_delay(&m, 0) == -2);
  c.initial_delay_ms = -0.4;
  esn_backoff_init(&m, &c);
  CHECK(esn_backoff_delay(&m, 0) == 0 && signbit(esn_backoff_delay(&m, 0)));
  c.initial_delay_ms = 0.49999999999999994;
  esn_backoff_init(&m, &c);
  CHECK(esn_backoff_delay(&m, 0) == 0 && !signbit(esn_backoff_delay(&m, 0)));
  /* Math.pow(1, NaN) is NaN (C says 1); maxRetries NaN: never retries */
  c = esn_backoff_defaults();
  c.max_retries = NAN;
  esn_backoff_init(&m, &c);
  CHECK(!esn_backoff_can_reconnect(&m));
}

static void bad_config_runs(void) {
  const double odd[] = {NAN, -1, 0, 1e308, INFINITY, -INFINITY, 0.5};
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
    for (int field_no = 0; field_no < 5; field_no++) {
      esn_backoff_config c = esn_backoff_defaults();
      double *f[] = {&c.max_retries, &c.initial_delay_ms, &c.max_delay_ms, &c.backoff_multiplier,
                     &c.jitter_factor};
      *f[field_no] = odd[i];
      driver d;
      memset(&d, 0, sizeof d);
      esn_backoff_init(&d.m, &c);
      run(&d, ESN_BSTEP_CONNECT, 0);
      for (int k = 0; k < 40; k++) {
        d.nevents = 0;
        run(&d, ESN_BSTEP_DISCONNECTED, 0);
        advance(&d, 1e12);
      }
      run(&d, ESN_BSTEP_CLOSE, 0);
      CHECK_EQ_INT(d.m.state, ESN_CONN_CLOSED);
      CHECK(!d.m.timer_armed);
    }
  }
  /* unknown steps do nothing */
  esn_backoff m;
  esn_backoff_init(&m, NULL);
  esn_backoff_event ev[ESN_BACKOFF_MAX_EVENTS];
  int next = 7;
  CHECK_EQ_INT(esn_backoff_step(&m, 99, 0, ev, &next), 0);
  CHECK_EQ_INT(next, ESN_BSTEP_DONE);
  CHECK_EQ_INT(esn_backoff_step(&m, -1, 0, ev, &next), 0);
}

/* A close() delivered between DISCONNECTED and DECIDE (a handler of the
 * 'disconnected' event) is seen by DECIDE, as in the reference: it schedules
 * from the closed state. */
static void reentrant(void) {
  esn_backoff_config c = esn_backoff_defaults();
  c.jitter = 0;
  driver d;
  memset(&d, 0, sizeof d);
  esn_backoff_init(&d.m, &c);
  run(&d, ESN_BSTEP_CONNECT, 0);
  run(&d, ESN_BSTEP_CONNECTED, 0);
  esn_backoff_event ev[ESN_BACKOFF_MAX_EVENTS];
  int next;
  size_t n = esn_backoff_step(&d.m, ESN_BSTEP_DISCONNECTED, 0, ev, &next);
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(next, ESN_BSTEP_DECIDE);
  d.nevents = 0;
  run(&d, ESN_BSTEP_CLOSE, 0); /* the handler */
  CHECK_EQ_INT(d.m.state, ESN_CONN_CLOSED);
  n = esn_backoff_step(&d.m, next, 0, ev, &next);
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(ev[0].type, ESN_BEV_STATE_CHANGE);
  CHECK_EQ_INT(ev[0].prev, ESN_CONN_CLOSED);
  CHECK_EQ_INT(ev[0].state, ESN_CONN_RECONNECTING);
  CHECK_EQ_INT(next, ESN_BSTEP_SCHEDULE);
}

void suite_backoff(void) {
  size_t len;
  uint8_t *file = esn_test_read_file(ESN_TEST_DATA "/reconnect.json", &len);
  CHECK(file != NULL && len > 0);
  if (file) {
    esn_json_parser *p = esn_json_parser_new(64);
    esn_json_value root;
    CHECK(esn_json_parse(p, file, len, &root) == ESN_JSON_OK);
    machine_traces(root);
    jitter_band(root);
    esn_json_parser_free(p);
    free(file);
  }
  js_numbers();
  bad_config_runs();
  reentrant();
}
