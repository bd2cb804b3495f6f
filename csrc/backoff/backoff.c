#include "backoff/backoff.h"

#include <math.h>
#include <string.h>

/* The delay must round like JavaScript's, bit for bit: no fused multiply-add. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

esn_backoff_config esn_backoff_defaults(void) {
  esn_backoff_config c = {5, 1000, 30000, 2, 1, 0.3};
  return c;
}

void esn_backoff_init(esn_backoff *b, const esn_backoff_config *config) {
  memset(b, 0, sizeof *b);
  b->config = config ? *config : esn_backoff_defaults();
  b->state = ESN_CONN_DISCONNECTED;
}

const char *esn_conn_state_name(esn_conn_state s) {
  static const char *const names[] = {"disconnected", "connecting", "connected",
                                      "reconnecting", "failed",     "closed"};
  return (unsigned)s < 6 ? names[s] : "";
}

/* ---- JavaScript number semantics ------------------------------------------ */

/* Math.min(a, b): NaN wins, and -0 is below +0. */
static double js_min(double a, double b) {
  if (isnan(a) || isnan(b)) return NAN;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}

/* Math.pow(x, y): differs from C pow where y is NaN, or |x| is 1 and y infinite. */
static double js_pow(double x, double y) {
  if (isnan(y)) return NAN;
  if (isinf(y) && fabs(x) == 1) return NAN;
  return pow(x, y);
}

/* Math.round: the nearest integer, halves toward +Infinity; -0 for [-0.5, -0]. */
static double js_round(double x) {
  if (!isfinite(x)) return x;
  double r = floor(x); /* x - r is exact */
  if (x - r >= 0.5) r += 1;
  if (r == 0) return copysign(0.0, x);
  return r;
}

/* JavaScript's `a < b` on numbers (false when either is NaN). */
static int js_less(double a, double b) { return a < b; }

double esn_backoff_delay(const esn_backoff *b, double random) {
  const esn_backoff_config *c = &b->config;
  double d = c->initial_delay_ms * js_pow(c->backoff_multiplier, b->retry_count);
  d = js_min(d, c->max_delay_ms);
  if (c->jitter) {
    double amount = d * c->jitter_factor;
    double spread = random * amount;
    spread = spread * 2;
    d = d - amount;
    d = d + spread;
  }
  return js_round(d);
}

int esn_backoff_can_reconnect(const esn_backoff *b) {
  return b->state != ESN_CONN_FAILED && b->state != ESN_CONN_CLOSED &&
         js_less(b->retry_count, b->config.max_retries);
}

/* ---- steps ------------------------------------------------------------------ */

typedef struct {
  esn_backoff_event *out;
  size_t n;
} sink;

static esn_backoff_event *emit(sink *s, uint8_t type) {
  esn_backoff_event *e = &s->out[s->n++];
  memset(e, 0, sizeof *e);
  e->type = type;
  return e;
}

/* The reference's transition(): nothing when already there. */
static void transition(esn_backoff *b, esn_conn_state to, sink *s) {
  if (b->state == to) return;
  esn_backoff_event *e = emit(s, ESN_BEV_STATE_CHANGE);
  e->state = (uint8_t)to;
  e->prev = (uint8_t)b->state;
  b->state = to;
}

/* The reference's cancelRetry(): clears the timer armed last, if any. */
static void cancel(esn_backoff *b, sink *s) {
  if (!b->timer_armed) return;
  b->timer_armed = 0;
  emit(s, ESN_BEV_CANCEL_TIMER);
}

size_t esn_backoff_step(esn_backoff *b, int step, double arg, esn_backoff_event *out, int *next) {
  sink s = {out, 0};
  *next = ESN_BSTEP_DONE;
  switch (step) {
    case ESN_BSTEP_CONNECT:
      if (b->state == ESN_CONN_CONNECTED || b->state == ESN_CONN_CONNECTING) break;
      cancel(b, &s);
      b->retry_count = 0;
      transition(b, ESN_CONN_CONNECTING, &s);
      break;

    case ESN_BSTEP_CONNECTED:
      cancel(b, &s);
      b->retry_count = 0;
      transition(b, ESN_CONN_CONNECTED, &s);
      emit(&s, ESN_BEV_CONNECTED);
      break;

    case ESN_BSTEP_DISCONNECTED:
      cancel(b, &s);
      if (b->state == ESN_CONN_CLOSED || b->state == ESN_CONN_FAILED) break;
      emit(&s, ESN_BEV_DISCONNECTED);
      *next = ESN_BSTEP_DECIDE; /* read the retry count after the handlers ran */
      break;

    case ESN_BSTEP_DECIDE:
      if (js_less(b->retry_count, b->config.max_retries)) {
        transition(b, ESN_CONN_RECONNECTING, &s);
        *next = ESN_BSTEP_SCHEDULE;
      } else {
        transition(b, ESN_CONN_FAILED, &s);
        emit(&s, ESN_BEV_FAILED)->reason = ESN_BREASON_OR_DEFAULT;
      }
      break;

    case ESN_BSTEP_SCHEDULE: {
      esn_backoff_event *e = emit(&s, ESN_BEV_RETRY_SCHEDULED);
      e->delay_ms = esn_backoff_delay(b, arg);
      e->attempt = b->retry_count + 1;
      *next = ESN_BSTEP_ARM; /* the timer is set after the retry_scheduled handlers */
      break;
    }

    case ESN_BSTEP_ARM:
      /* The timer takes the delay and attempt of the RETRY_SCHEDULED the
       * caller just delivered (it keeps them: a handler that reentered the
       * machine may have scheduled another retry since). */
      b->timer_armed = 1;
      emit(&s, ESN_BEV_ARM_TIMER);
      break;

    case ESN_BSTEP_FIRED:
      b->timer_armed = 0;
      b->retry_count += 1;
      emit(&s, ESN_BEV_RETRY_STARTED)->attempt = arg;
      *next = ESN_BSTEP_FIRED_CONNECT;
      break;

    case ESN_BSTEP_FIRED_CONNECT:
      transition(b, ESN_CONN_CONNECTING, &s);
      break;

    case ESN_BSTEP_FATAL:
      cancel(b, &s);
      transition(b, ESN_CONN_FAILED, &s);
      emit(&s, ESN_BEV_FAILED)->reason = ESN_BREASON_GIVEN;
      break;

    case ESN_BSTEP_CLOSE:
      cancel(b, &s);
      transition(b, ESN_CONN_CLOSED, &s);
      break;

    case ESN_BSTEP_RESET:
      cancel(b, &s);
      b->retry_count = 0;
      transition(b, ESN_CONN_DISCONNECTED, &s);
      break;

    default:
      break;
  }
  return s.n;
}
