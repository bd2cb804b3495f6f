/*
 * esn_backoff: the reconnection state machine of PROTOCOL.md section 4 -
 * states, retry counting, exponential delay with jitter - with the exact
 * event order of the reference's ReconnectionStateMachine.
 *
 * It owns no timer and no randomness: each operation writes the events it
 * causes, including ARM_TIMER (schedule `fired` after delay_ms) and
 * CANCEL_TIMER, to a caller buffer, and takes the random number in [0, 1)
 * that jitter needs as an argument. The caller (lib/reconnect) runs the timers.
 */
#ifndef ESN_BACKOFF_H
#define ESN_BACKOFF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  ESN_CONN_DISCONNECTED = 0,
  ESN_CONN_CONNECTING,
  ESN_CONN_CONNECTED,
  ESN_CONN_RECONNECTING,
  ESN_CONN_FAILED,
  ESN_CONN_CLOSED
} esn_conn_state;

typedef enum {
  ESN_BEV_STATE_CHANGE = 0, /* state, prev */
  ESN_BEV_RETRY_SCHEDULED,  /* attempt, delay_ms */
  ESN_BEV_RETRY_STARTED,    /* attempt */
  ESN_BEV_CONNECTED,
  ESN_BEV_DISCONNECTED,     /* the caller adds its reason */
  ESN_BEV_FAILED,           /* reason_given: 1 = the caller's reason, 0 = "Max retries exceeded" */
  ESN_BEV_ARM_TIMER,        /* delay_ms: call esn_backoff_fired() after it */
  ESN_BEV_CANCEL_TIMER
} esn_backoff_event_type;

typedef struct {
  uint8_t type;
  uint8_t state;
  uint8_t prev;
  uint8_t reason_given;
  double attempt;
  double delay_ms;
} esn_backoff_event;

/* Enough room for the events of any one operation. */
#define ESN_BACKOFF_MAX_EVENTS 8

typedef struct {
  double max_retries;
  double initial_delay_ms;
  double max_delay_ms;
  double backoff_multiplier;
  int jitter;
  double jitter_factor;
} esn_backoff_config;

typedef struct {
  esn_backoff_config config;
  esn_conn_state state;
  double retry_count;
  int timer_armed;
  double pending_attempt;
} esn_backoff;

/* The defaults of PROTOCOL.md section 4. */
esn_backoff_config esn_backoff_defaults(void);
void esn_backoff_init(esn_backoff *b, const esn_backoff_config *config);

/* Operations; each returns the number of events written to out
 * (out must hold ESN_BACKOFF_MAX_EVENTS). */
size_t esn_backoff_connect(esn_backoff *b, esn_backoff_event *out);
size_t esn_backoff_on_connected(esn_backoff *b, esn_backoff_event *out);
/* `random` in [0, 1) is used for jitter when a retry is scheduled. */
size_t esn_backoff_on_disconnected(esn_backoff *b, double random, esn_backoff_event *out);
size_t esn_backoff_on_fatal_error(esn_backoff *b, esn_backoff_event *out);
/* The armed timer went off. */
size_t esn_backoff_fired(esn_backoff *b, esn_backoff_event *out);
size_t esn_backoff_close(esn_backoff *b, esn_backoff_event *out);
size_t esn_backoff_reset(esn_backoff *b, esn_backoff_event *out);

int esn_backoff_can_reconnect(const esn_backoff *b);
/* The delay before retry number retry_count + 1, as JavaScript computes it
 * (Math.min, Math.pow, Math.round semantics, NaN included). */
double esn_backoff_delay(const esn_backoff *b, double random);
const char *esn_conn_state_name(esn_conn_state s);

#ifdef __cplusplus
}
#endif
#endif
