/* The backoff machine: event order, delays, retry limits, bad configuration. */
#include <math.h>
#include <string.h>

#include "backoff/backoff.h"
#include "test/test.h"

static esn_backoff_event ev[ESN_BACKOFF_MAX_EVENTS];

static void test_trace(void) {
  esn_backoff_config c = {3, 100, 250, 2, 0, 0.3};
  esn_backoff b;
  esn_backoff_init(&b, &c);
  size_t n = esn_backoff_connect(&b, ev);
  CHECK_EQ_INT(n, 1);
  CHECK(ev[0].type == ESN_BEV_STATE_CHANGE && ev[0].state == ESN_CONN_CONNECTING && ev[0].prev == ESN_CONN_DISCONNECTED);
  n = esn_backoff_on_connected(&b, ev);
  CHECK(n == 2 && ev[1].type == ESN_BEV_CONNECTED);
  /* disconnected, state change, retry scheduled (attempt 1, 100 ms), arm timer */
  n = esn_backoff_on_disconnected(&b, 0.5, ev);
  CHECK_EQ_INT(n, 4);
  CHECK(ev[0].type == ESN_BEV_DISCONNECTED);
  CHECK(ev[1].type == ESN_BEV_STATE_CHANGE && ev[1].state == ESN_CONN_RECONNECTING);
  CHECK(ev[2].type == ESN_BEV_RETRY_SCHEDULED && ev[2].attempt == 1 && ev[2].delay_ms == 100);
  CHECK(ev[3].type == ESN_BEV_ARM_TIMER && ev[3].delay_ms == 100);
  n = esn_backoff_fired(&b, ev);
  CHECK(n == 2 && ev[0].type == ESN_BEV_RETRY_STARTED && ev[0].attempt == 1);
  CHECK(b.retry_count == 1 && b.state == ESN_CONN_CONNECTING);
  /* delays 200, then capped at 250 */
  esn_backoff_on_disconnected(&b, 0.5, ev);
  CHECK(ev[2].delay_ms == 200);
  esn_backoff_fired(&b, ev);
  esn_backoff_on_disconnected(&b, 0.5, ev);
  CHECK(ev[2].delay_ms == 250);
  esn_backoff_fired(&b, ev);
  CHECK(!esn_backoff_can_reconnect(&b));
  n = esn_backoff_on_disconnected(&b, 0.5, ev);
  CHECK(n == 3 && ev[1].state == ESN_CONN_FAILED && ev[2].type == ESN_BEV_FAILED && ev[2].reason_given == 1);
  /* failed ignores disconnects; a stale timer is ignored */
  CHECK_EQ_INT(esn_backoff_on_disconnected(&b, 0.5, ev), 0);
  CHECK_EQ_INT(esn_backoff_fired(&b, ev), 0);
  /* close cancels a pending retry */
  esn_backoff_init(&b, &c);
  esn_backoff_connect(&b, ev);
  esn_backoff_on_disconnected(&b, 0.5, ev);
  n = esn_backoff_close(&b, ev);
  CHECK(n == 2 && ev[0].type == ESN_BEV_CANCEL_TIMER && ev[1].state == ESN_CONN_CLOSED);
  CHECK_EQ_INT(esn_backoff_fired(&b, ev), 0);
}

static void test_jitter(void) {
  esn_backoff b;
  esn_backoff_init(&b, NULL);
  for (int k = 0; k <= 6; k++) {
    b.retry_count = k;
    double d = fmin(1000 * pow(2, k), 30000);
    for (double r = 0; r < 1; r += 0.125) {
      double x = esn_backoff_delay(&b, r);
      CHECK(x >= round(d * 0.7) && x <= round(d * 1.3));
    }
  }
  /* Math.round: halves go up */
  esn_backoff_config c = {5, 0.5, 100, 1, 0, 0};
  esn_backoff_init(&b, &c);
  CHECK(esn_backoff_delay(&b, 0) == 1);
}

static void test_bad_config(void) {
  esn_backoff_config cs[] = {
      {NAN, 100, 1000, 2, 0, 0}, {5, -5, 1000, 2, 0, 0}, {5, 100, INFINITY, 1e308, 1, 0.3},
      {5, 100, NAN, 2, 1, NAN},  {INFINITY, 1, 1, 0, 1, 1},
  };
  for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
    esn_backoff b;
    esn_backoff_init(&b, &cs[i]);
    for (int k = 0; k < 50; k++) {
      size_t n = esn_backoff_connect(&b, ev);
      n += esn_backoff_on_disconnected(&b, 0.5, ev);
      n += esn_backoff_fired(&b, ev);
      CHECK(n <= 3 * ESN_BACKOFF_MAX_EVENTS);
    }
    esn_backoff_close(&b, ev);
    CHECK(b.state == ESN_CONN_CLOSED);
  }
  /* NaN max_retries: never reconnects (retryCount < NaN is false) */
  esn_backoff b;
  esn_backoff_init(&b, &cs[0]);
  esn_backoff_connect(&b, ev);
  esn_backoff_on_disconnected(&b, 0.5, ev);
  CHECK(b.state == ESN_CONN_FAILED);
  CHECK(strcmp(esn_conn_state_name(ESN_CONN_RECONNECTING), "reconnecting") == 0);
}

void suite_backoff(void) {
  test_trace();
  test_jitter();
  test_bad_config();
}
