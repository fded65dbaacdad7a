/* SPDX-License-Identifier: MIT */
/*
 * event.h - events and timers: what sits in the event queue.
 * Role: the model's only way to make something happen later. Two flavours, one struct:
 *   - timers (sim_timer_t): embedded in their owner, armed, re-armed and cancelled at will;
 *     never allocate (libuv's uv_timer_t pattern);
 *   - fire-and-forget events (sim_schedule): taken from the run's slab, returned after dispatch.
 * Order: by (time, seq), seq being a per-run counter taken each time an event is scheduled or a
 *   timer (re-)armed, so ties are FIFO in arming order on every machine. Nothing else breaks ties.
 * Cost: schedule/arm O(1) amortised, cancel O(1) or O(log k), pop O(1) amortised for well-spread
 *   times and O(log n) at worst; see sim/evq.c and docs/design.md "Event queue".
 */
#ifndef SIM_EVENT_H
#define SIM_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/entity.h"
#include "sim/time.h"

/*
 * One pending (or idle) event. Fields marked private belong to the queue.
 * Size: 48 bytes; the queue keeps pointers to these, never copies.
 */
struct sim_event {
	sim_time_t time;           /* read-only: when it fires (valid while pending) */
	uint64_t seq;              /* private: tie-breaker, taken at scheduling */
	union {
		struct sim_entity *target; /* receiver */
		struct sim_event *next_free; /* private: slab free list */
	};
	uint32_t qidx;             /* private: index inside its tier */
	uint16_t kind;             /* receiver's event kind */
	uint8_t tier;              /* private: SIM__TIER_* (0 = idle) */
	uint8_t flags;             /* private: SIM__EV_POOLED ... */
	union sim_payload payload; /* for the receiver */
};

/* A timer is an event its owner embeds and re-uses. */
typedef struct sim_event sim_timer_t;

/*
 * Prepares a timer owned by `owner`: when it fires, owner->ops->event(owner, kind, &t->payload)
 * runs. The owner may change t->payload while the timer is idle or pending.
 */
void sim_timer_init(sim_timer_t *t, struct sim_entity *owner, unsigned kind);

/*
 * Arms (or re-arms) a timer to fire at absolute time `when` (>= sim_now; earlier is a model bug).
 * Re-arming a pending timer moves it and gives it a fresh seq (it then fires after events already
 * armed for the same instant).
 */
void sim_timer_arm(struct sim *sim, sim_timer_t *t, sim_time_t when);

/* sim_timer_arm at now + delay (overflow is a model bug). */
void sim_timer_arm_in(struct sim *sim, sim_timer_t *t, sim_time_t delay);

/* Cancels a pending timer; returns whether it was pending. Idle timers are left as they are. */
bool sim_timer_cancel(struct sim *sim, sim_timer_t *t);

static inline bool sim_timer_pending(const sim_timer_t *t) { return t->tier != 0; }

/* When a pending timer fires. */
static inline sim_time_t sim_timer_expiry(const sim_timer_t *t) { return t->time; }

/*
 * Schedules a fire-and-forget event for `target` at absolute time `when`, carrying a copy of
 * `payload` (NULL: zeroes). Cannot be cancelled: use a timer for anything that may be.
 */
void sim_schedule(struct sim *sim, struct sim_entity *target, sim_time_t when, unsigned kind,
		  const union sim_payload *payload);

/* sim_schedule at now + delay. */
void sim_schedule_in(struct sim *sim, struct sim_entity *target, sim_time_t delay, unsigned kind,
		     const union sim_payload *payload);

#endif /* SIM_EVENT_H */
