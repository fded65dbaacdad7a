/* SPDX-License-Identifier: MIT */
/*
 * entity.h - simulated objects: the base struct every model object embeds, and its ops table.
 * Role: the engine delivers events to entities through `ops->event`; it knows nothing else of them.
 * Pattern: `struct sim_entity` is the FIRST member of the model's struct; handlers get back to the
 *          outer struct with container_of (sim_container_of below). No void * in any table.
 * Invariants: ids are dense, assigned in registration order (0, 1, 2 ...), never reused in a run;
 *          anything that walks entities walks them in id order.
 * See: docs/design.md "Engine"; docs/style.md (b).
 */
#ifndef SIM_ENTITY_H
#define SIM_ENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/time.h"

struct sim;
struct sim_entity;

/* container_of: from a pointer to a member back to the struct that holds it. */
#define sim_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/*
 * The payload an event carries: 16 bytes, interpreted by the receiving entity according to the
 * event's kind (a per-model enum). Pointers to other entities travel as `ent`.
 */
union sim_payload {
	uint64_t u64[2];
	int64_t i64[2];
	uint32_t u32[4];
	double f64[2];
	struct sim_entity *ent[2];
	struct {
		uint64_t a;
		struct sim_entity *ent;
	} mixed;
};

/*
 * What a kind of entity does. Called by the engine only.
 */
struct sim_entity_ops {
	/* Name of the kind ("phold-lp", "hv-vp"); for messages. Required. */
	const char *kind;
	/*
	 * start: called once by sim_run() before the first event, in id order, at time 0 (or at the
	 * time the entity was added, for entities added while running). May schedule events.
	 * May be NULL.
	 */
	void (*start)(struct sim_entity *ent);
	/*
	 * event: an event of `kind` (the model's own enum) reached this entity; sim_now() is its time.
	 * The payload is valid only during the call. The entity may schedule, arm and cancel freely,
	 * including re-arming the timer that just fired. Required.
	 */
	void (*event)(struct sim_entity *ent, unsigned kind, const union sim_payload *payload);
	/* stop: the run ended (end time or stop request); flush statistics. May be NULL. */
	void (*stop)(struct sim_entity *ent);
	/* dump: print state for debugging (sim_bug calls it for the entity at fault). May be NULL. */
	void (*dump)(const struct sim_entity *ent, FILE *out);
};

struct sim_entity {
	const struct sim_entity_ops *ops; /* read-only after sim_entity_add */
	struct sim *sim;                  /* the run this entity belongs to */
	const char *name;                 /* borrowed; owner keeps it alive ("vm:web/vp:3"); may be NULL */
	uint32_t id;                      /* dense id, registration order */
};

/*
 * Registers `ent` with `sim`: sets ops, sim, name (borrowed) and the next dense id. If the run is
 * already going, ops->start is called at once. The caller owns ent's memory and keeps it alive
 * until sim_free(); all of the entity's timers must be idle before its memory is reused.
 */
void sim_entity_add(struct sim *sim, struct sim_entity *ent, const struct sim_entity_ops *ops, const char *name);

/* The entity's name, or "<kind>#<id>" written into buf when it has none. */
const char *sim_entity_name(const struct sim_entity *ent, char *buf, size_t len);

#endif /* SIM_ENTITY_H */
