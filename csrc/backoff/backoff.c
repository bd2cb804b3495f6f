#include "backoff/backoff.h"

#include <math.h>
#include <string.h>

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

/* Math.min: NaN when either is NaN. */
static double js_min(double a, double b) {
  if (isnan(a) || isnan(b)) return NAN;
  return a < b ? a : b;
}

/* Math.round: halves go up; NaN and infinities stay. */
static double js_round(double x) {
  if (!isfinite(x)) return x;
  double r = floor(x);
  return (x - r >= 0.5) ? r + 1 : r;
}

double esn_backoff_delay(const esn_backoff *b, double random) {
  const esn_backoff_config *c = &b->config;
  double d = js_min(c->initial_delay_ms * pow(c->backoff_multiplier, b->retry_count), c->max_delay_ms);
  if (c->jitter) {
    double amount = d * c->jitter_factor;
    d = d - amount + random * amount * 2;
  }
  return js_round(d);
}

int esn_backoff_can_reconnect(const esn_backoff *b) {
  return b->state != ESN_CONN_FAILED && b->state != ESN_CONN_CLOSED &&
         b->retry_count < b->config.max_retries;
}

static void emit(esn_backoff_event *out, size_t *n, uint8_t type) {
  memset(&out[*n], 0, sizeof out[*n]);
  out[*n].type = type;
  ++*n;
}

static void transition(esn_backoff *b, esn_conn_state to, esn_backoff_event *out, size_t *n) {
  if (b->state == to) return;
  emit(out, n, ESN_BEV_STATE_CHANGE);
  out[*n - 1].state = (uint8_t)to;
  out[*n - 1].prev = (uint8_t)b->state;
  b->state = to;
}

static void cancel(esn_backoff *b, esn_backoff_event *out, size_t *n) {
  if (!b->timer_armed) return;
  b->timer_armed = 0;
  emit(out, n, ESN_BEV_CANCEL_TIMER);
}

size_t esn_backoff_connect(esn_backoff *b, esn_backoff_event *out) {
  size_t n = 0;
  if (b->state == ESN_CONN_CONNECTED || b->state == ESN_CONN_CONNECTING) return 0;
  cancel(b, out, &n);
  b->retry_count = 0;
  transition(b, ESN_CONN_CONNECTING, out, &n);
  return n;
}

size_t esn_backoff_on_connected(esn_backoff *b, esn_backoff_event *out) {
  size_t n = 0;
  cancel(b, out, &n);
  b->retry_count = 0;
  transition(b, ESN_CONN_CONNECTED, out, &n);
  emit(out, &n, ESN_BEV_CONNECTED);
  return n;
}

size_t esn_backoff_on_disconnected(esn_backoff *b, double random, esn_backoff_event *out) {
  size_t n = 0;
  cancel(b, out, &n);
  if (b->state == ESN_CONN_CLOSED || b->state == ESN_CONN_FAILED) return n;
  emit(out, &n, ESN_BEV_DISCONNECTED);
  if (b->retry_count < b->config.max_retries) {
    transition(b, ESN_CONN_RECONNECTING, out, &n);
    double delay = esn_backoff_delay(b, random);
    b->pending_attempt = b->retry_count + 1;
    emit(out, &n, ESN_BEV_RETRY_SCHEDULED);
    out[n - 1].attempt = b->pending_attempt;
    out[n - 1].delay_ms = delay;
    emit(out, &n, ESN_BEV_ARM_TIMER);
    out[n - 1].delay_ms = delay;
    b->timer_armed = 1;
  } else {
    transition(b, ESN_CONN_FAILED, out, &n);
    emit(out, &n, ESN_BEV_FAILED);
    out[n - 1].reason_given = 1; /* the disconnect reason, or the default when absent */
  }
  return n;
}

size_t esn_backoff_on_fatal_error(esn_backoff *b, esn_backoff_event *out) {
  size_t n = 0;
  cancel(b, out, &n);
  transition(b, ESN_CONN_FAILED, out, &n);
  emit(out, &n, ESN_BEV_FAILED);
  out[n - 1].reason_given = 2; /* exactly the caller's reason, even when absent */
  return n;
}

size_t esn_backoff_fired(esn_backoff *b, esn_backoff_event *out) {
  size_t n = 0;
  if (!b->timer_armed) return 0; /* a stale timer: ignore */
  b->timer_armed = 0;
  b->retry_count += 1;
  emit(out, &n, ESN_BEV_RETRY_STARTED);
  out[n - 1].attempt = b->pending_attempt;
  transition(b, ESN_CONN_CONNECTING, out, &n);
  return n;
}

size_t esn_backoff_close(esn_backoff *b, esn_backoff_event *out) {
  size_t n = 0;
  cancel(b, out, &n);
  transition(b, ESN_CONN_CLOSED, out, &n);
  return n;
}

size_t esn_backoff_reset(esn_backoff *b, esn_backoff_event *out) {
  size_t n = 0;
  cancel(b, out, &n);
  b->retry_count = 0;
  transition(b, ESN_CONN_DISCONNECTED, out, &n);
  return n;
}
