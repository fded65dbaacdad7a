/* SPDX-License-Identifier: MIT */
/*
 * evq.c - the event queue: a one-rung ladder queue over a 4-ary heap.
 * Role: holds every pending event of a run, ordered by (time, seq); sim/run.c pops, sim/event.c
 *       (timers and slab events in run.c) pushes and cancels. Nothing here allocates per event:
 *       arrays grow geometrically and keep their memory.
 * Idea: a heap is O(log n) per operation and, once it outgrows the caches, one miss per level.
 *       So only the near future is kept sorted, in a small heap; the rest waits unsorted, in
 *       buckets of a power-of-two width (the rung) or, beyond the rung, in one array (the top).
 *       When the heap runs dry, the next non-empty bucket is poured into it (heapified in O(k));
 *       when the rung runs dry, a new rung is cut from the top, sized for `bucket_target` events
 *       per bucket. A queue that stays small never builds a rung: it is a plain heap
 *       (heap_limit = SIM_TIME_MAX) until it grows past `spill_min`.
 * Ties: an event's seq is taken when it is pushed and never changes while it moves between
 *       tiers; the heap orders by (time, seq) and tiers are partitioned by time, so equal times
 *       always leave in push order.
 * Cost: push O(1) (+ O(log k) into the heap); cancel O(1) from a bucket or the top, O(log k)
 *       from the heap; pop O(log k) with k the heap size, plus O(1) amortised pouring. Skewed
 *       times (most events in one bucket) degrade to a heap of that bucket: O(log n), never worse.
 * Simplifies: one rung instead of the ladder's recursive rungs. Defaults (bucket_target 8,
 *       small_max 64, spill_min 256) were chosen by bench/phold; docs/design.md "Engine
 *       measurements" has the figures.
 */
#include <string.h>

#include "sim/sim-int.h"

#define HEAP_ARITY 4

static inline bool ev_before(const struct sim_event *a, const struct sim_event *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

void sim_evq_tuning_default(struct sim_evq_tuning *t)
{
	t->bucket_target = 8;
	t->small_max = 64;
	t->spill_min = 256;
}

void sim__evq_init(struct sim_evq *q)
{
	memset(q, 0, sizeof *q);
	q->heap_limit = SIM_TIME_MAX;
	q->top_min = SIM_TIME_MAX;
	sim_evq_tuning_default(&q->tune);
}

void sim__evq_clear(struct sim_evq *q)
{
	for (uint32_t i = 0; i < q->bkt_cap; i++)
		g_free(q->bkt[i].v);
	g_free(q->bkt);
	g_free(q->top.v);
	g_free(q->heap);
	memset(q, 0, sizeof *q);
}

/* ---- unsorted buffers (buckets and top) ---- */

static void buf_push(struct sim__evbuf *b, struct sim_event *ev, uint8_t tier)
{
	if (G_UNLIKELY(b->n == b->cap)) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->v = g_renew(struct sim_event *, b->v, b->cap);
	}
	ev->tier = tier;
	ev->qidx = b->n;
	b->v[b->n++] = ev;
}

/* Swap-remove: O(1); the moved event learns its new index. */
static void buf_remove(struct sim__evbuf *b, struct sim_event *ev)
{
	uint32_t i = ev->qidx;
	struct sim_event *last = b->v[--b->n];
	if (i != b->n) {
		b->v[i] = last;
		last->qidx = i;
	}
}

/* ---- the heap ---- */

static void heap_reserve(struct sim_evq *q, uint32_t n)
{
	if (G_LIKELY(n <= q->heap_cap))
		return;
	uint32_t cap = q->heap_cap ? q->heap_cap : 64;
	while (cap < n)
		cap *= 2;
	q->heap = g_renew(struct sim_event *, q->heap, cap);
	q->heap_cap = cap;
}

/* Moves ev up from hole i until its parent is earlier. */
static void sift_up(struct sim_event **h, uint32_t i, struct sim_event *ev)
{
	while (i > 0) {
		uint32_t p = (i - 1) / HEAP_ARITY;
		if (!ev_before(ev, h[p]))
			break;
		h[i] = h[p];
		h[i]->qidx = i;
		i = p;
	}
	h[i] = ev;
	ev->qidx = i;
}

/* Moves ev down from hole i until no child is earlier. */
static void sift_down(struct sim_event **h, uint32_t n, uint32_t i, struct sim_event *ev)
{
	for (;;) {
		uint32_t c = HEAP_ARITY * i + 1;
		if (c >= n)
			break;
		uint32_t m = c;
		uint32_t end = c + HEAP_ARITY < n ? c + HEAP_ARITY : n;
		for (uint32_t k = c + 1; k < end; k++)
			if (ev_before(h[k], h[m]))
				m = k;
		if (!ev_before(h[m], ev))
			break;
		h[i] = h[m];
		h[i]->qidx = i;
		i = m;
	}
	h[i] = ev;
	ev->qidx = i;
}

static void heap_push(struct sim_evq *q, struct sim_event *ev)
{
	heap_reserve(q, q->heap_n + 1);
	ev->tier = SIM__TIER_HEAP;
	sift_up(q->heap, q->heap_n++, ev);
}

static void heap_remove(struct sim_evq *q, struct sim_event *ev)
{
	uint32_t i = ev->qidx;
	struct sim_event *last = q->heap[--q->heap_n];
	if (i == q->heap_n)
		return;
	if (i > 0 && ev_before(last, q->heap[(i - 1) / HEAP_ARITY]))
		sift_up(q->heap, i, last);
	else
		sift_down(q->heap, q->heap_n, i, last);
}

/* Pours an unsorted buffer into the (empty) heap and heapifies it bottom-up: O(k). */
static void heap_pour(struct sim_evq *q, struct sim__evbuf *b)
{
	uint32_t n = b->n;
	heap_reserve(q, n);
	memcpy(q->heap, b->v, n * sizeof *b->v);
	b->n = 0;
	q->heap_n = n;
	for (uint32_t i = 0; i < n; i++)
		q->heap[i]->tier = SIM__TIER_HEAP;
	if (n > 1)
		for (uint32_t i = (n - 2) / HEAP_ARITY + 1; i-- > 0;)
			sift_down(q->heap, n, i, q->heap[i]);
	else if (n == 1)
		q->heap[0]->qidx = 0;
	/* sift_down sets qidx only on the path it walks; the leaves keep their buffer index, which
	 * equals their heap index because the copy preserved positions. */
}

/* ---- the rung ---- */

static void top_push(struct sim_evq *q, struct sim_event *ev)
{
	buf_push(&q->top, ev, SIM__TIER_TOP);
	if (ev->time < q->top_min)
		q->top_min = ev->time;
	if (ev->time > q->top_max)
		q->top_max = ev->time;
}

static inline uint32_t rung_index(const struct sim_evq *q, sim_time_t t)
{
	return (uint32_t)((t - q->rung_start) >> q->shift);
}

/*
 * Cuts a new rung from the top (the heap and the rung are empty). A small or single-instant top
 * goes straight into the heap, which then stays unbounded.
 */
static void rung_build(struct sim_evq *q)
{
	uint32_t n = q->top.n;
	sim_time_t lo = q->top_min, hi = q->top_max;

	q->rebuilds++;
	q->nb = q->cur = 0;
	if (n <= q->tune.small_max || lo == hi) {
		heap_pour(q, &q->top);
		q->heap_limit = SIM_TIME_MAX;
		q->rung_start = q->rung_end = SIM_TIME_MAX;
		q->top_min = SIM_TIME_MAX;
		q->top_max = 0;
		return;
	}

	/* Width: the smallest power of two giving about bucket_target events per bucket. */
	uint64_t want = n / (q->tune.bucket_target ? q->tune.bucket_target : 1);
	if (want < 2)
		want = 2;
	uint64_t width = (hi - lo) / want + 1;
	unsigned shift = width <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(width - 1);
	uint64_t nb = ((hi - lo) >> shift) + 1;
	g_assert(nb <= 2 * want + 2);

	if (nb > q->bkt_cap) {
		q->bkt = g_renew(struct sim__evbuf, q->bkt, nb);
		memset(q->bkt + q->bkt_cap, 0, (nb - q->bkt_cap) * sizeof *q->bkt);
		q->bkt_cap = (uint32_t)nb;
	}
	q->nb = (uint32_t)nb;
	q->shift = shift;
	q->rung_start = lo;
	unsigned __int128 end = (unsigned __int128)lo + ((unsigned __int128)nb << shift);
	q->rung_end = end > SIM_TIME_MAX ? SIM_TIME_MAX : (sim_time_t)end;
	q->heap_limit = lo;

	for (uint32_t i = 0; i < n; i++) {
		struct sim_event *ev = q->top.v[i];
		buf_push(&q->bkt[rung_index(q, ev->time)], ev, SIM__TIER_RUNG);
	}
	q->top.n = 0;
	q->top_min = SIM_TIME_MAX;
	q->top_max = 0;
}

/*
 * The heap is empty: pour the next non-empty bucket into it, cutting a new rung first when this
 * one is used up. False when the queue is empty.
 */
static bool refill(struct sim_evq *q)
{
	for (;;) {
		while (q->cur < q->nb) {
			struct sim__evbuf *b = &q->bkt[q->cur++];
			q->heap_limit = q->cur == q->nb ? q->rung_end : q->rung_start + ((sim_time_t)q->cur << q->shift);
			if (b->n) {
				heap_pour(q, b);
				return true;
			}
		}
		if (q->top.n == 0)
			return false;
		q->heap_limit = q->rung_end;
		rung_build(q);
		if (q->heap_n)
			return true;
	}
}

/*
 * A heap that grew large while unbounded is spilled into the top, and cut into a rung at the
 * next pop. Amortised O(1): it takes spill_min pushes to get here again.
 */
static void spill(struct sim_evq *q)
{
	q->spills++;
	for (uint32_t i = 0; i < q->heap_n; i++)
		top_push(q, q->heap[i]);
	q->heap_n = 0;
	q->heap_limit = 0;
	q->rung_start = q->rung_end = 0;
	q->nb = q->cur = 0;
}

/* ---- interface ---- */

void sim__evq_push(struct sim_evq *q, struct sim_event *ev)
{
	sim_time_t t = ev->time;
	ev->seq = q->next_seq++;
	q->size++;
	if (t < q->heap_limit) {
		heap_push(q, ev);
		if (G_UNLIKELY(q->heap_limit == SIM_TIME_MAX && q->heap_n > q->tune.spill_min))
			spill(q);
	} else if (t < q->rung_end) {
		buf_push(&q->bkt[rung_index(q, t)], ev, SIM__TIER_RUNG);
	} else {
		top_push(q, ev);
	}
}

void sim__evq_remove(struct sim_evq *q, struct sim_event *ev)
{
	switch (ev->tier) {
	case SIM__TIER_HEAP:
		heap_remove(q, ev);
		break;
	case SIM__TIER_RUNG:
		buf_remove(&q->bkt[rung_index(q, ev->time)], ev);
		break;
	case SIM__TIER_TOP:
		buf_remove(&q->top, ev);
		break;
	default:
		g_assert_not_reached();
	}
	ev->tier = SIM__TIER_IDLE;
	q->size--;
}

struct sim_event *sim__evq_pop_before(struct sim_evq *q, sim_time_t limit)
{
	if (G_UNLIKELY(q->heap_n == 0) && !refill(q))
		return NULL;
	struct sim_event **h = q->heap;
	struct sim_event *ev = h[0];
	if (ev->time >= limit)
		return NULL;
	struct sim_event *last = h[--q->heap_n];
	if (q->heap_n)
		sift_down(h, q->heap_n, 0, last);
	ev->tier = SIM__TIER_IDLE;
	q->size--;
	return ev;
}

bool sim__evq_check(const struct sim_evq *q, const char **why)
{
	size_t count = q->heap_n + q->top.n;
	for (uint32_t i = 0; i < q->heap_n; i++) {
		const struct sim_event *ev = q->heap[i];
		if (ev->tier != SIM__TIER_HEAP || ev->qidx != i)
			return *why = "heap event has a wrong tier or index", false;
		if (ev->time >= q->heap_limit)
			return *why = "heap event at or after heap_limit", false;
		if (i > 0 && ev_before(ev, q->heap[(i - 1) / HEAP_ARITY]))
			return *why = "heap order broken", false;
	}
	for (uint32_t b = 0; b < q->nb; b++) {
		const struct sim__evbuf *bk = &q->bkt[b];
		if (b < q->cur && bk->n)
			return *why = "a bucket below cur is not empty", false;
		count += bk->n;
		for (uint32_t i = 0; i < bk->n; i++) {
			const struct sim_event *ev = bk->v[i];
			if (ev->tier != SIM__TIER_RUNG || ev->qidx != i)
				return *why = "bucket event has a wrong tier or index", false;
			if (ev->time < q->heap_limit || ev->time >= q->rung_end || rung_index(q, ev->time) != b)
				return *why = "bucket event outside its bucket", false;
		}
	}
	for (uint32_t i = 0; i < q->top.n; i++) {
		const struct sim_event *ev = q->top.v[i];
		if (ev->tier != SIM__TIER_TOP || ev->qidx != i)
			return *why = "top event has a wrong tier or index", false;
		if (ev->time < q->rung_end || ev->time < q->heap_limit)
			return *why = "top event earlier than rung_end", false;
		if (ev->time < q->top_min || ev->time > q->top_max)
			return *why = "top event outside [top_min, top_max]", false;
	}
	if (count != q->size)
		return *why = "size does not match the tiers", false;
	return true;
}
