/*
 * Reconnection state machine properties (backoff/backoff.h), driven by
 * random operations - connect, connected, disconnected, fatal, close,
 * reset, the retry timer firing, unknown step codes - including operations
 * started from inside another one (an event handler reentering the machine),
 * with a configuration taken from the input (sane, or anything: NaN, +-Inf,
 * negative, huge):
 *   - a step writes at most ESN_BACKOFF_MAX_EVENTS records; an unknown step
 *     writes none and ends the operation;
 *   - every state change is legal: it names the state the machine was in,
 *     differs from it, and is the one transition that step may make
 *     (CONNECT/FIRED_CONNECT -> connecting, CONNECTED -> connected, DECIDE ->
 *     reconnecting or failed, FATAL -> failed, CLOSE -> closed, RESET ->
 *     disconnected); the machine's state is the last one announced;
 *   - the retry count only grows by one when the timer fires, and only goes
 *     back to 0 on connect/connected/reset; a scheduled retry's attempt is
 *     retry_count + 1, a started one's is the timer's attempt;
 *   - the timer: CANCEL only when one is armed, ARM only after SCHEDULE;
 *   - delays: with a sane configuration (finite, initial >= 0, max >= 0,
 *     multiplier >= 1, jitter factor in [0, 1], random in [0, 1)) every delay
 *     is an integer in [0, round(max * (1 + factor))], never above the
 *     un-jittered delay * (1 + factor), and without jitter the delays of one
 *     outage never decrease; with any configuration, esn_backoff_delay equals
 *     the scheduled delay (same formula) and can_reconnect follows its rule.
 */
#include <math.h>
#include <string.h>

#include "backoff/backoff.h"
#include "fuzz/props.h"

typedef struct {
  const uint8_t *d;
  size_t n, i;
} bo_in;

static uint8_t bo_byte(bo_in *in) { return in->i < in->n ? in->d[in->i++] : 0; }

static double bo_double(bo_in *in) {
  uint64_t u = 0;
  for (int k = 0; k < 8; k++) u = (u << 8) | bo_byte(in);
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

typedef struct {
  esn_backoff b;
  int sane;
  double last_delay; /* previous delay of this outage (no jitter), -1 none */
  double timer_attempt;
  int scheduled;     /* SCHEDULE steps whose ARM has not run yet (nesting) */
  int depth;
} bo_run;

static int bo_target_ok(int step, esn_conn_state from, esn_conn_state to) {
  (void)from;
  switch (step) {
    case ESN_BSTEP_CONNECT:
    case ESN_BSTEP_FIRED_CONNECT:
      return to == ESN_CONN_CONNECTING;
    case ESN_BSTEP_CONNECTED:
      return to == ESN_CONN_CONNECTED;
    case ESN_BSTEP_DECIDE:
      return to == ESN_CONN_RECONNECTING || to == ESN_CONN_FAILED;
    case ESN_BSTEP_FATAL:
      return to == ESN_CONN_FAILED;
    case ESN_BSTEP_CLOSE:
      return to == ESN_CONN_CLOSED;
    case ESN_BSTEP_RESET:
      return to == ESN_CONN_DISCONNECTED;
    default:
      return 0;
  }
}

static void bo_op(bo_run *r, bo_in *in, int step, double arg);

/* One step, checked; returns the next step. */
static int bo_step(bo_run *r, bo_in *in, int step, double arg, double *sched) {
  esn_backoff *b = &r->b;
  esn_backoff_event ev[ESN_BACKOFF_MAX_EVENTS + 4];
  esn_conn_state before = b->state;
  double rc_before = b->retry_count;
  int armed_before = b->timer_armed;
  double expect_delay = step == ESN_BSTEP_SCHEDULE ? esn_backoff_delay(b, arg) : 0;
  int next = -1;
  size_t n = esn_backoff_step(b, step, arg, ev, &next);
  PROP(n <= ESN_BACKOFF_MAX_EVENTS);
  PROP(next >= ESN_BSTEP_DONE && next < ESN_BSTEP_COUNT_);
  if (step <= ESN_BSTEP_DONE || step >= ESN_BSTEP_COUNT_) PROP(n == 0 && next == ESN_BSTEP_DONE);
  esn_conn_state cur = before;
  for (size_t k = 0; k < n; k++) {
    const esn_backoff_event *e = &ev[k];
    switch (e->type) {
      case ESN_BEV_STATE_CHANGE:
        PROP(e->prev == cur && e->state != e->prev && e->state <= ESN_CONN_CLOSED);
        PROP(bo_target_ok(step, (esn_conn_state)e->prev, (esn_conn_state)e->state));
        cur = (esn_conn_state)e->state;
        break;
      case ESN_BEV_RETRY_SCHEDULED: {
        PROP(step == ESN_BSTEP_SCHEDULE && e->attempt == b->retry_count + 1);
        double d = e->delay_ms;
        PROP((isnan(d) && isnan(expect_delay)) || memcmp(&d, &expect_delay, sizeof d) == 0);
        if (r->sane) {
          const esn_backoff_config *c = &b->config;
          double base = fmin(c->initial_delay_ms * pow(c->backoff_multiplier, b->retry_count), c->max_delay_ms);
          double f = c->jitter ? c->jitter_factor : 0;
          PROP(d == floor(d) && d >= 0);
          PROP(d <= floor(c->max_delay_ms * (1 + f) + 0.5) + 1);
          PROP(d <= floor(base * (1 + f) + 0.5) + 1 && d >= floor(base * (1 - f) + 0.5) - 1);
          if (!c->jitter && r->last_delay >= 0 && b->retry_count > 0) PROP(d >= r->last_delay);
          if (!c->jitter) r->last_delay = d;
        }
        *sched = e->attempt;
        r->scheduled++;
        break;
      }
      case ESN_BEV_RETRY_STARTED:
        PROP(step == ESN_BSTEP_FIRED && e->attempt == arg);
        break;
      case ESN_BEV_CONNECTED:
        PROP(step == ESN_BSTEP_CONNECTED);
        break;
      case ESN_BEV_DISCONNECTED:
        PROP(step == ESN_BSTEP_DISCONNECTED);
        break;
      case ESN_BEV_FAILED:
        PROP((step == ESN_BSTEP_DECIDE && e->reason == ESN_BREASON_OR_DEFAULT) ||
             (step == ESN_BSTEP_FATAL && e->reason == ESN_BREASON_GIVEN));
        PROP(cur == ESN_CONN_FAILED);
        break;
      case ESN_BEV_ARM_TIMER:
        PROP(step == ESN_BSTEP_ARM && b->timer_armed);
        break;
      case ESN_BEV_CANCEL_TIMER:
        PROP(armed_before && k == 0 && !b->timer_armed);
        break;
      default:
        PROP(0);
    }
  }
  PROP(b->state == cur);
  /* retry count */
  if (step == ESN_BSTEP_FIRED) {
    PROP(b->retry_count == rc_before + 1 || (isnan(rc_before) && isnan(b->retry_count)));
  } else if (b->retry_count != rc_before) {
    PROP(b->retry_count == 0 &&
         (step == ESN_BSTEP_CONNECT || step == ESN_BSTEP_CONNECTED || step == ESN_BSTEP_RESET));
    r->last_delay = -1;
  }
  if (step == ESN_BSTEP_CONNECTED || step == ESN_BSTEP_RESET) r->last_delay = -1;
  PROP(esn_backoff_can_reconnect(b) ==
       (b->state != ESN_CONN_FAILED && b->state != ESN_CONN_CLOSED && b->retry_count < b->config.max_retries));
  /* a handler reentering the machine between the records and the next step */
  if (r->depth < 3 && in->i < in->n && (bo_byte(in) & 7) == 0) {
    r->depth++;
    bo_op(r, in, 1 + bo_byte(in) % 7, 0);
    r->depth--;
  }
  return next;
}

/* An operation and its continuation steps. */
static void bo_op(bo_run *r, bo_in *in, int step, double arg) {
  int guard = 0;
  double sched = NAN;
  while (step != ESN_BSTEP_DONE && guard++ < 16) {
    double a = arg;
    if (step == ESN_BSTEP_SCHEDULE) {
      a = bo_byte(in) / 256.0; /* random in [0, 1) */
      if (!r->sane && (bo_byte(in) & 1)) a = bo_double(in);
    }
    if (step == ESN_BSTEP_ARM) {
      PROP(r->scheduled > 0);
      r->scheduled--;
      r->timer_attempt = sched; /* the timer keeps the attempt scheduled just before */
    }
    if (step == ESN_BSTEP_FIRED && r->b.timer_armed) a = r->timer_attempt;
    step = bo_step(r, in, step, a, &sched);
    arg = 0;
  }
  PROP(guard < 16);
}

void esn_prop_backoff(const uint8_t *data, size_t size) {
  bo_in in = {data, size, 0};
  bo_run r;
  memset(&r, 0, sizeof r);
  esn_backoff_config c = esn_backoff_defaults();
  uint8_t mode = bo_byte(&in);
  if (mode & 1) {
    /* sane: small integers and fractions */
    c.max_retries = bo_byte(&in) % 12;
    c.initial_delay_ms = 1 + bo_byte(&in) * 7.5; /* 0 * Infinity is NaN, in JavaScript too */
    c.max_delay_ms = bo_byte(&in) * 250.25;
    c.backoff_multiplier = 1 + bo_byte(&in) / 32.0;
    c.jitter = bo_byte(&in) & 1;
    c.jitter_factor = bo_byte(&in) / 255.0;
    r.sane = 1;
  } else if (mode & 2) {
    c.max_retries = bo_double(&in);
    c.initial_delay_ms = bo_double(&in);
    c.max_delay_ms = bo_double(&in);
    c.backoff_multiplier = bo_double(&in);
    c.jitter = bo_byte(&in) & 1;
    c.jitter_factor = bo_double(&in);
  }
  esn_backoff_init(&r.b, (mode & 3) ? &c : NULL);
  if (!(mode & 3)) r.sane = 1;
  PROP(r.b.state == ESN_CONN_DISCONNECTED && r.b.retry_count == 0 && !r.b.timer_armed);
  r.last_delay = -1;
  int ops = 0;
  while (in.i < in.n && ops++ < 2000) {
    uint8_t o = bo_byte(&in);
    int step;
    double arg = 0;
    switch (o % 9) {
      case 0: step = ESN_BSTEP_CONNECT; break;
      case 1: step = ESN_BSTEP_CONNECTED; break;
      case 2: step = ESN_BSTEP_DISCONNECTED; break;
      case 3: step = ESN_BSTEP_FATAL; break;
      case 4: step = ESN_BSTEP_CLOSE; break;
      case 5: step = ESN_BSTEP_RESET; break;
      case 6: /* the timer fires - only when armed, as a caller's timer would */
        if (!r.b.timer_armed) continue;
        step = ESN_BSTEP_FIRED;
        arg = r.timer_attempt;
        break;
      case 7: step = (int)(int8_t)bo_byte(&in); break; /* any code, unknown ones included */
      default: {
        double x = (double)(bo_byte(&in) % 4) / 4;
        PROP(esn_backoff_delay(&r.b, x) == esn_backoff_delay(&r.b, x) || r.sane == 0);
        continue;
      }
    }
    /* a step code of the middle of an operation run alone is still legal
     * input; keep the ARM bookkeeping honest */
    if (step == ESN_BSTEP_ARM) continue; /* ARM belongs to an operation (after SCHEDULE) */
    bo_op(&r, &in, step, arg);
  }
}
