/* SPDX-License-Identifier: MIT */
/*
 * blockdev.c - the NVMe-like block device of blockdev.h: media slots, the link, statistics.
 * Role: implements blockdev.h. One entity per device; its events are a media slot finishing
 *       (one embedded timer per slot, payload = slot index) and the link finishing a transfer
 *       (one timer).
 * Pipeline: submit -> wait list (FIFO, intrusive) -> slot for the media latency -> link list (FIFO,
 *       intrusive) -> link for ceil(bytes x 10^12 / bandwidth) ps -> done. Every state change
 *       happens in submission or event order, and ties between events are (time, seq) in the
 *       engine, so the same submissions give the same completion times on every machine.
 * Invariants: active slots + free slots == parallelism; an op waits for a slot only while none is
 *       free; the link timer is pending iff the link list is non-empty (its head is transferring);
 *       sum of inflight[q] == ops in the wait list + in slots + in the link list.
 * Units: sim_time_t (ps); bandwidth in bytes/s.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/check.h"
#include "models/io/blockdev.h"

enum { IO_EV_MEDIA_DONE = 1, IO_EV_LINK_DONE = 2 };

/* A media slot: the op it holds and the timer of its media completion. */
struct io_slot {
	sim_timer_t timer; /* payload.u32[0] = index of this slot */
	struct io_req *req;
};

/* FIFO of requests linked through io_req.next. */
struct io_fifo {
	struct io_req *head, *tail;
	uint32_t len;
};

struct io_blockdev {
	struct sim_entity ent; /* first member */
	struct io_blockdev_config cfg;
	char *name;
	uint32_t *inflight;    /* per queue */
	uint32_t total_inflight;
	struct io_slot *slots; /* parallelism */
	uint32_t *free_slots;  /* stack of free slot indices */
	uint32_t nfree;
	struct io_fifo waiting; /* for a slot */
	struct io_fifo link;    /* head: transferring; the rest wait for the link */
	sim_timer_t link_timer;
	/* statistics (reset at warm-up) */
	struct sim_counter reads, writes, bytes;
	struct sim_hist latency;
	sim_time_t busy_acc;   /* media busy-any time over [window start, busy_since) */
	sim_time_t busy_since; /* when the slots last went from all free to one held */
	struct sim_reset_hook reset_hook;
	/* trace: per slot a track of its media times, declared at the first use while tracing */
	uint32_t *slot_track;  /* parallelism; UINT32_MAX: not declared; NULL until tracing */
	bool *slot_traced;     /* a slice is open on the slot's track */
};

G_DEFINE_QUARK(io-error-quark, io_error)

void io_blockdev_config_default(struct io_blockdev_config *c)
{
	memset(c, 0, sizeof *c);
	c->queues = 64;
	c->queue_depth = 1024;
	c->parallelism = 32;
	c->read_latency = 80 * SIM_PS_PER_US;
	c->write_latency = 20 * SIM_PS_PER_US;
	c->bandwidth = UINT64_C(3200000000);
}

/* ---- lists ---- */

static void fifo_push(struct io_fifo *f, struct io_req *r)
{
	r->next = NULL;
	if (f->tail)
		f->tail->next = r;
	else
		f->head = r;
	f->tail = r;
	f->len++;
}

static struct io_req *fifo_pop(struct io_fifo *f)
{
	struct io_req *r = f->head;
	if (!r)
		return NULL;
	f->head = r->next;
	if (!f->head)
		f->tail = NULL;
	f->len--;
	r->next = NULL;
	return r;
}

/* ---- trace (sim/trace.h): a slice per media time on the slot's track, and the request's flow ---- */

static void trace_slot_begin(struct io_blockdev *d, uint32_t i, const struct io_req *r)
{
	struct sim *sim = d->ent.sim;
	if (!sim_tracing(sim))
		return;
	if (!d->slot_track) {
		d->slot_track = g_new(uint32_t, d->cfg.parallelism);
		d->slot_traced = g_new0(bool, d->cfg.parallelism);
		for (uint32_t s = 0; s < d->cfg.parallelism; s++)
			d->slot_track[s] = UINT32_MAX;
	}
	if (d->slot_track[i] == UINT32_MAX) {
		char *name = g_strdup_printf("%s/slot:%" PRIu32, d->name, i);
		d->slot_track[i] = sim_trace_track(sim, "host", name);
		g_free(name);
	}
	sim_trace_begin(sim, d->slot_track[i], r->write ? "write" : "read");
	if (r->flow)
		sim_trace_flow(sim, d->slot_track[i], SIM_FLOW_STEP, r->flow, "io");
	d->slot_traced[i] = true;
}

static void trace_slot_end(struct io_blockdev *d, uint32_t i)
{
	if (d->slot_traced && d->slot_traced[i]) {
		sim_trace_end(d->ent.sim, d->slot_track[i]);
		d->slot_traced[i] = false;
	}
}

/* ---- pipeline ---- */

/* Slot i (held, or just taken from the free stack) holds r for its media time. */
static void slot_fill(struct io_blockdev *d, uint32_t i, struct io_req *r)
{
	struct io_slot *s = &d->slots[i];
	s->req = r;
	trace_slot_begin(d, i, r);
	sim_timer_arm_in(d->ent.sim, &s->timer, r->write ? d->cfg.write_latency : d->cfg.read_latency);
}

/* The head of the link list starts its transfer now. */
static void link_start(struct io_blockdev *d)
{
	sim_timer_arm_in(d->ent.sim, &d->link_timer, d->link.head->xfer);
}

/*
 * Slot i finished its media time: its op goes to the link, and the first waiting op takes the slot
 * over at once (the slots stay busy); with nobody waiting the slot is freed.
 */
static void media_done(struct io_blockdev *d, uint32_t i)
{
	struct sim *sim = d->ent.sim;
	struct io_slot *s = &d->slots[i];
	struct io_req *r = s->req;
	SIM_ASSERT(sim, r != NULL);
	trace_slot_end(d, i);

	fifo_push(&d->link, r);
	if (d->link.len == 1)
		link_start(d);

	struct io_req *next = fifo_pop(&d->waiting);
	if (next) {
		slot_fill(d, i, next);
		return;
	}
	s->req = NULL;
	d->free_slots[d->nfree++] = i;
	if (d->nfree == d->cfg.parallelism)
		d->busy_acc += sim_now(sim) - d->busy_since;
}

/*
 * The head of the link list finished its transfer: the op completes. All device state (queue
 * entry, statistics, the next transfer) is settled before done runs, so done may submit again.
 */
static void link_done(struct io_blockdev *d)
{
	struct sim *sim = d->ent.sim;
	struct io_req *r = fifo_pop(&d->link);
	SIM_ASSERT(sim, r != NULL);
	if (d->link.head)
		link_start(d);

	SIM_ASSERT(sim, d->inflight[r->queue] > 0);
	d->inflight[r->queue]--;
	d->total_inflight--;
	sim_counter_inc(r->write ? &d->writes : &d->reads);
	sim_counter_add(&d->bytes, r->bytes);
	sim_hist_record(&d->latency, sim_now(sim) - r->submitted);
	r->busy = false;
	r->done(r);
}

static void dev_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	struct io_blockdev *d = sim_container_of(ent, struct io_blockdev, ent);
	switch (kind) {
	/* A media slot finished (payload: the slot's index). */
	case IO_EV_MEDIA_DONE:
		media_done(d, p->u32[0]);
		break;
	/* The link finished the transfer of the head of its list. */
	case IO_EV_LINK_DONE:
		link_done(d);
		break;
	default:
		sim_bug(ent->sim, ent, "blockdev: unknown event kind %u", kind);
	}
}

static void dev_dump(const struct sim_entity *ent, FILE *out)
{
	const struct io_blockdev *d = sim_container_of(ent, struct io_blockdev, ent);
	fprintf(out, "  blockdev: %" PRIu32 " in flight, %" PRIu32 " waiting for a slot, %" PRIu32
		     "/%" PRIu32 " slots held, %" PRIu32 " on the link\n",
		d->total_inflight, d->waiting.len, d->cfg.parallelism - d->nfree, d->cfg.parallelism, d->link.len);
}

static const struct sim_entity_ops dev_ops = {
	.kind = "io-blockdev",
	.event = dev_event,
	.dump = dev_dump,
};

bool io_blockdev_submit(struct io_blockdev *d, uint32_t q, struct io_req *r)
{
	struct sim *sim = d->ent.sim;
	if (G_UNLIKELY(q >= d->cfg.queues))
		sim_bug(sim, &d->ent, "blockdev: submit on queue %" PRIu32 ", the device has %" PRIu32, q,
			d->cfg.queues);
	SIM_ASSERT(sim, !r->busy && r->done != NULL);
	if (d->inflight[q] >= d->cfg.queue_depth)
		return false;

	/* link time: ceil(bytes x 10^12 / bandwidth), exact in 128 bits */
	unsigned __int128 t = (unsigned __int128)r->bytes * SIM_PS_PER_S;
	t = (t + d->cfg.bandwidth - 1) / d->cfg.bandwidth;
	if (G_UNLIKELY(t > SIM_TIME_MAX))
		sim_bug(sim, &d->ent, "blockdev: transfer of %" PRIu64 " bytes takes more than 2^64 ps", r->bytes);

	r->xfer = (sim_time_t)t;
	r->submitted = sim_now(sim);
	r->queue = q;
	r->busy = true;
	r->next = NULL;
	d->inflight[q]++;
	d->total_inflight++;
	if (d->nfree == 0) {
		fifo_push(&d->waiting, r);
	} else {
		if (d->nfree == d->cfg.parallelism)
			d->busy_since = r->submitted; /* the slots go busy */
		slot_fill(d, d->free_slots[--d->nfree], r);
	}
	return true;
}

uint32_t io_blockdev_queues(const struct io_blockdev *d) { return d->cfg.queues; }

uint32_t io_blockdev_inflight(const struct io_blockdev *d, uint32_t q)
{
	g_return_val_if_fail(q < d->cfg.queues, 0);
	return d->inflight[q];
}

/* ---- statistics ---- */

static void reset_busy(struct sim_reset_hook *hook, sim_time_t now)
{
	struct io_blockdev *d = sim_container_of(hook, struct io_blockdev, reset_hook);
	d->busy_acc = 0;
	d->busy_since = now;
}

void io_blockdev_stats(const struct io_blockdev *d, struct io_blockdev_stats *out)
{
	out->reads = d->reads.n;
	out->writes = d->writes.n;
	out->ops = d->reads.n + d->writes.n;
	out->bytes = d->bytes.n;
	out->busy = d->busy_acc;
	if (d->nfree < d->cfg.parallelism)
		out->busy += sim_now(d->ent.sim) - d->busy_since;
	out->latency = &d->latency;
}

/* ---- life cycle ---- */

#define check(ok, error, ...) sim_check((ok), (error), IO_ERROR, __VA_ARGS__)

struct io_blockdev *io_blockdev_new(struct sim *sim, const char *name, const struct io_blockdev_config *cfg,
				    GError **error)
{
	g_return_val_if_fail(sim != NULL && cfg != NULL, NULL);
	const char *n = name ? name : "blockdev";
	if (!check(cfg->queues >= 1 && cfg->queues <= IO_BLOCKDEV_MAX_QUEUES, error,
		   "%s: queues %" PRIu32 " outside 1..%d", n, cfg->queues, IO_BLOCKDEV_MAX_QUEUES) ||
	    !check(cfg->queue_depth >= 1 && cfg->queue_depth <= IO_BLOCKDEV_MAX_QUEUE_DEPTH, error,
		   "%s: queue_depth %" PRIu32 " outside 1..%d", n, cfg->queue_depth, IO_BLOCKDEV_MAX_QUEUE_DEPTH) ||
	    !check(cfg->parallelism >= 1 && cfg->parallelism <= IO_BLOCKDEV_MAX_PARALLELISM, error,
		   "%s: parallelism %" PRIu32 " outside 1..%d", n, cfg->parallelism, IO_BLOCKDEV_MAX_PARALLELISM) ||
	    !check(cfg->bandwidth >= 1, error, "%s: bandwidth must be at least 1 byte/s", n))
		return NULL;

	struct io_blockdev *d = g_new0(struct io_blockdev, 1);
	d->cfg = *cfg;
	d->name = g_strdup(n);
	d->inflight = g_new0(uint32_t, cfg->queues);
	d->slots = g_new0(struct io_slot, cfg->parallelism);
	d->free_slots = g_new(uint32_t, cfg->parallelism);
	sim_entity_add(sim, &d->ent, &dev_ops, d->name);
	/* the stack pops slot 0 first; which slot an op gets never changes a time */
	for (uint32_t i = 0; i < cfg->parallelism; i++) {
		d->free_slots[i] = cfg->parallelism - 1 - i;
		sim_timer_init(&d->slots[i].timer, &d->ent, IO_EV_MEDIA_DONE);
		d->slots[i].timer.payload.u32[0] = i;
	}
	d->nfree = cfg->parallelism;
	sim_timer_init(&d->link_timer, &d->ent, IO_EV_LINK_DONE);

	sim_hist_init(&d->latency);
	sim_track_counter(sim, &d->reads);
	sim_track_counter(sim, &d->writes);
	sim_track_counter(sim, &d->bytes);
	sim_track_hist(sim, &d->latency);
	d->busy_since = sim_now(sim);
	d->reset_hook.reset = reset_busy;
	sim_track_reset(sim, &d->reset_hook);
	return d;
}

void io_blockdev_free(struct io_blockdev *d)
{
	if (!d)
		return;
	sim_hist_clear(&d->latency);
	g_free(d->free_slots);
	g_free(d->slots);
	g_free(d->slot_track);
	g_free(d->slot_traced);
	g_free(d->inflight);
	g_free(d->name);
	g_free(d);
}
