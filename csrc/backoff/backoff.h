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

#include "contracts/contracts_gen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* esn_conn_state, esn_backoff_event_type, esn_backoff_reason and
 * esn_backoff_step_code (the operations - the public methods - and the
 * continuation steps they go on with), ESN_BACKOFF_MAX_EVENTS (the most
 * records one step writes) and the binding's record layout are generated:
 * contracts/contracts_gen.h, from contracts/codes.js. */

typedef struct {
  uint8_t type;   /* esn_backoff_event_type */
  uint8_t state;  /* STATE_CHANGE: the new state */
  uint8_t prev;   /* STATE_CHANGE: the previous state */
  uint8_t reason; /* FAILED: esn_backoff_reason */
  double attempt;
  double delay_ms;
} esn_backoff_event;

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
