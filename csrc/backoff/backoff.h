/*
 * esn_backoff: the reconnection state machine of docs/PROTOCOL.md section 4 -
 * states, retry counting, exponential delay with jitter - with the exact
 * event order of the reference's ReconnectionStateMachine.
 *
 * It owns no timer and no randomness. The caller runs an operation step by
 * step: esn_backoff_step() writes the records one step causes (events, and
 * ARM_TIMER / CANCEL_TIMER requests for the caller's single retry timer) to a
 * caller buffer, and names the step that comes next (0: the operation is
 * done). The caller delivers the step's records before it runs the next step,
 * so an event handler that calls back into the machine sees - and changes -
 * exactly the state the reference has at that point. The one random number
 * jitter needs, in [0, 1), is an argument of ESN_BSTEP_SCHEDULE.
 *
 * Any configuration is accepted (NaN, negative, infinite, huge multipliers):
 * the arithmetic is that of JavaScript's Math.min/Math.pow/Math.round, so a
 * bad configuration gives the same (possibly NaN) delays as the reference,
 * never undefined behaviour.
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
  ESN_BEV_DISCONNECTED,     /* the caller adds the reason it was given */
  ESN_BEV_FAILED,           /* reason: see esn_backoff_reason */
  ESN_BEV_ARM_TIMER,        /* set the retry timer: after the delay_ms of the RETRY_SCHEDULED
                               delivered just before, run ESN_BSTEP_FIRED with its attempt */
  ESN_BEV_CANCEL_TIMER      /* clear the timer armed last */
} esn_backoff_event_type;

typedef enum {
  ESN_BREASON_NONE = 0,
  ESN_BREASON_OR_DEFAULT = 1, /* the disconnect reason, or "Max retries exceeded" when absent */
  ESN_BREASON_GIVEN = 2       /* exactly the reason given to onFatalError, even when absent */
} esn_backoff_reason;

typedef struct {
  uint8_t type;   /* esn_backoff_event_type */
  uint8_t state;  /* STATE_CHANGE: the new state */
  uint8_t prev;   /* STATE_CHANGE: the previous state */
  uint8_t reason; /* FAILED: esn_backoff_reason */
  double attempt;
  double delay_ms;
} esn_backoff_event;

/* Operations (the public methods) and the continuation steps they go on
 * with. Values are stable: the binding and the JavaScript twin use them. */
typedef enum {
  ESN_BSTEP_DONE = 0,
  ESN_BSTEP_CONNECT = 1,
  ESN_BSTEP_CONNECTED = 2,
  ESN_BSTEP_DISCONNECTED = 3, /* then DECIDE */
  ESN_BSTEP_FATAL = 4,
  ESN_BSTEP_FIRED = 5,        /* arg: the attempt the timer was armed for; then FIRED_CONNECT */
  ESN_BSTEP_CLOSE = 6,
  ESN_BSTEP_RESET = 7,
  ESN_BSTEP_DECIDE = 8,       /* retry or fail; then SCHEDULE when retrying */
  ESN_BSTEP_SCHEDULE = 9,     /* arg: random in [0, 1) (ignored without jitter); then ARM */
  ESN_BSTEP_ARM = 10,
  ESN_BSTEP_FIRED_CONNECT = 11,
  ESN_BSTEP_COUNT_ = 12
} esn_backoff_step_code;

/* The most records one step writes. */
#define ESN_BACKOFF_MAX_EVENTS 4

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
} esn_backoff;

/* The defaults of docs/PROTOCOL.md section 4. */
esn_backoff_config esn_backoff_defaults(void);
/* config NULL: the defaults. */
void esn_backoff_init(esn_backoff *b, const esn_backoff_config *config);

/* Runs one step; writes at most ESN_BACKOFF_MAX_EVENTS records to out and
 * returns their number; *next receives the step to run after the records are
 * delivered (ESN_BSTEP_DONE when the operation is over). An unknown step code
 * writes nothing and returns 0 with *next = DONE. */
size_t esn_backoff_step(esn_backoff *b, int step, double arg, esn_backoff_event *out, int *next);

int esn_backoff_can_reconnect(const esn_backoff *b);
/* The delay before retry number retry_count + 1, as JavaScript computes it
 * (Math.min, Math.pow, Math.round semantics, NaN included). */
double esn_backoff_delay(const esn_backoff *b, double random);
const char *esn_conn_state_name(esn_conn_state s);

#ifdef __cplusplus
}
#endif
#endif
