/* SPDX-License-Identifier: MIT */
/*
 * messaging.c - workload kind "messaging": hackbench (perf bench sched messaging). `groups` groups
 *               of `pairs` senders and `pairs` receivers; each receiver owns one pipe or socket,
 *               shared by its group's senders; each sender writes `loops` rounds of one `message`
 *               bytes message to every receiver of its group, and each receiver reads
 *               pairs x loops messages (loops 0: for ever).
 * Costs: a write or a read is one system call of CPU work on the caller: the guest's `syscall`
 *       cost + the IPC's per-call cost (pipe 300 ns, socket 800 ns) + 100 ps per byte copied
 *       (10 GB/s, models/io's copy_byte). Waking a blocked peer is a GOS_OP_WAKE (the guest charges
 *       its `syscall` cost for the wake-up path); a caller with nothing to do BLOCKs.
 * Buffers: a receiver's pipe/socket holds `buffer` bytes (64 KiB: a pipe's 16 pages). A writer that
 *       finds no room for its whole message blocks on the buffer's wait list; a read that frees a
 *       page's worth (4 KiB, or the message when larger, or the buffer when smaller) where there was
 *       less wakes every writer listed then (pipe_read's wake_up of the non-exclusive wr_wait
 *       queue); writers that still find no room list themselves again. A writer that publishes a
 *       message into an empty buffer whose reader blocked wakes the reader.
 * Operation: one message delivered (read to its end). Latency: from the sender's first attempt to
 *       write it (blocking for room included) to the end of the receiver's read. Per task: a
 *       receiver's messages read, a sender's messages written.
 * Counters (scope vm:NAME/wl:I): sent, sender_blocks, receiver_blocks (since the warm-up) and
 *       in_flight (a level: written, not yet read to the end). Draws nothing (rng_digest 0).
 * Tasks: wl<I>.receiver-<k> and wl<I>.sender-<k>, group k / pairs, created group by group,
 *       receivers first (as hackbench forks them).
 * See: docs/workloads.md; tests/unit/wl/test_workloads.c
 */
#include <string.h>

#include "workloads/wl-int.h"

/* Per-call costs besides the guest's syscall entry/exit, [R]: lmbench lat_pipe / lat_unix less
   two context switches, halved per side (pipe_write/pipe_read; unix_stream_sendmsg/recvmsg with
   their skb allocation and free). Per byte: copy_from_user / copy_to_user at 10 GB/s. */
#define MSG_PIPE_CALL_NS 300
#define MSG_SOCKET_CALL_NS 800
#define MSG_COPY_PS_PER_BYTE 100
#define MSG_PAGE_BYTES 4096

struct messaging;

struct msg {
	sim_time_t started;           /* the sender's first attempt */
};

/* One receiver's pipe or socket. */
struct box {
	uint64_t used;                /* bytes reserved by writers copying in, or queued */
	struct msg *ring;             /* queued messages, a ring that doubles */
	uint32_t head, len, cap;
	uint32_t *waiters;            /* senders (indices) blocked for room, a ring of `pairs` */
	uint32_t whead, wlen;
	bool reader_waiting;          /* its receiver blocked on the empty buffer */
};

enum sender_phase { S_NEXT, S_COPYING, S_BLOCKED };
enum receiver_phase { R_NEXT, R_COPYING, R_BLOCKED };

struct sender {
	struct messaging *wl;
	struct gos_task *task;
	uint32_t group, slot;
	enum sender_phase phase;
	uint64_t round;               /* rounds done */
	uint32_t next;                /* receiver (within the group) of the next message */
	sim_time_t started;
	bool have_start, listed;
};

struct receiver {
	struct messaging *wl;
	struct gos_task *task;
	struct box box;
	uint32_t slot;
	enum receiver_phase phase;
	uint64_t received;            /* messages read to the end, from time 0 */
	sim_time_t started;           /* of the message being read */
	uint32_t to_wake;             /* listed writers this reader still has to wake */
};

struct messaging {
	struct sim *sim;
	struct wl_meter meter;
	uint32_t groups, pairs;
	uint64_t loops, message, buffer, wake_room;
	uint64_t call_cycles;         /* one write or read */
	struct sender *senders;       /* groups x pairs, group-major */
	struct receiver *receivers;   /* groups x pairs, group-major */
	struct sim_counter sent, sender_blocks, receiver_blocks;
	uint64_t in_flight;
	struct wl_counter counters[4];
};

/* ---- the buffer ---- */

static void box_push(struct box *b, struct msg m)
{
	if (b->len == b->cap) {
		uint32_t cap = b->cap ? 2 * b->cap : 16;
		struct msg *r = g_new(struct msg, cap);
		for (uint32_t i = 0; i < b->len; i++)
			r[i] = b->ring[(b->head + i) % b->cap];
		g_free(b->ring);
		b->ring = r;
		b->head = 0;
		b->cap = cap;
	}
	b->ring[(b->head + b->len++) % b->cap] = m;
}

static struct msg box_pop(struct box *b)
{
	struct msg m = b->ring[b->head];
	b->head = (b->head + 1) % b->cap;
	b->len--;
	return m;
}

/* ---- senders ---- */

/* Task body of a sender: publish the message just copied (waking its reader if it waits), then
   write the next one, or block for room, or exit after the last round. */
static void sender_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct sender *s = arg;
	struct messaging *wl = s->wl;
	struct receiver *r = &wl->receivers[s->group * wl->pairs + s->next];
	switch (s->phase) {
	case S_COPYING:
		box_push(&r->box, (struct msg){.started = s->started});
		s->have_start = false;
		sim_counter_inc(&wl->sent);
		wl->in_flight++;
		wl_meter_count_task(&wl->meter, s->slot, 1);
		if (++s->next == wl->pairs) {
			s->next = 0;
			s->round++;
		}
		s->phase = S_NEXT;
		if (r->box.reader_waiting) {
			/* Hard assume: the reader set the flag in the step that blocked it, so it is blocked now */
			r->box.reader_waiting = false;
			*op = (struct gos_op){.kind = GOS_OP_WAKE, .task = r->task};
			return;
		}
		r = &wl->receivers[s->group * wl->pairs + s->next];
		break;
	case S_BLOCKED: /* woken by the reader: look again */
		SIM_ASSERT(wl->sim, !s->listed);
		s->phase = S_NEXT;
		break;
	case S_NEXT:
		break;
	}
	if (wl->loops && s->round == wl->loops) {
		op->kind = GOS_OP_EXIT;
		return;
	}
	if (!s->have_start) {
		s->started = sim_now(wl->sim);
		s->have_start = true;
	}
	struct box *b = &r->box;
	if (b->used + wl->message <= wl->buffer) {
		b->used += wl->message;
		s->phase = S_COPYING;
		*op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = wl->call_cycles};
		return;
	}
	sim_counter_inc(&wl->sender_blocks);
	SIM_ASSERT(wl->sim, b->wlen < wl->pairs);
	b->waiters[(b->whead + b->wlen++) % wl->pairs] = (uint32_t)(s - wl->senders);
	s->listed = true;
	s->phase = S_BLOCKED;
	op->kind = GOS_OP_BLOCK;
}

static const struct gos_program sender_program = {.next = sender_next};

/* ---- receivers ---- */

/* Task body of a receiver: count the message just read (freeing its room, and taking on the wakes
   of listed writers when a page's worth came free), wake those one by one, then read the next
   message or block on the empty buffer, or exit after the last one. */
static void receiver_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct receiver *r = arg;
	struct messaging *wl = r->wl;
	struct box *b = &r->box;
	switch (r->phase) {
	case R_COPYING: {
		uint64_t before = wl->buffer - b->used;
		b->used -= wl->message;
		wl->in_flight--;
		r->received++;
		wl_meter_record_task(&wl->meter, r->slot, sim_now(wl->sim) - r->started);
		if (before < wl->wake_room && before + wl->message >= wl->wake_room)
			r->to_wake = b->wlen;
		r->phase = R_NEXT;
		break;
	}
	case R_BLOCKED: /* woken by a writer */
		r->phase = R_NEXT;
		break;
	case R_NEXT:
		break;
	}
	if (r->to_wake) {
		r->to_wake--;
		struct sender *s = &wl->senders[b->waiters[b->whead]];
		b->whead = (b->whead + 1) % wl->pairs;
		b->wlen--;
		s->listed = false;
		*op = (struct gos_op){.kind = GOS_OP_WAKE, .task = s->task};
		return;
	}
	if (wl->loops && r->received == wl->loops * wl->pairs) {
		op->kind = GOS_OP_EXIT;
		return;
	}
	if (b->len) {
		r->started = box_pop(b).started;
		r->phase = R_COPYING;
		*op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = wl->call_cycles};
		return;
	}
	sim_counter_inc(&wl->receiver_blocks);
	b->reader_waiting = true;
	r->phase = R_BLOCKED;
	op->kind = GOS_OP_BLOCK;
}

static const struct gos_program receiver_program = {.next = receiver_next};

/* ---- the kind ---- */

static void msg_free(void *inst)
{
	struct messaging *wl = inst;
	if (!wl)
		return;
	wl_meter_clear(&wl->meter);
	for (uint32_t i = 0; wl->receivers && i < wl->groups * wl->pairs; i++) {
		g_free(wl->receivers[i].box.ring);
		g_free(wl->receivers[i].box.waiters);
	}
	g_free(wl->receivers);
	g_free(wl->senders);
	g_free(wl);
}

static void *msg_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	uint64_t message = param_bytes(params, "message"), buffer = param_bytes(params, "buffer");
	if (message > buffer) {
		g_set_error(error, WL_ERROR, 0,
			    "messaging: message (%" G_GUINT64_FORMAT " bytes) is larger than buffer (%" G_GUINT64_FORMAT
			    " bytes): a write must fit in the pipe or socket",
			    message, buffer);
		return NULL;
	}
	struct messaging *wl = g_new0(struct messaging, 1);
	wl->sim = gos_sim(env->k);
	wl->groups = (uint32_t)param_int(params, "groups");
	wl->pairs = (uint32_t)param_int(params, "pairs");
	wl->loops = (uint64_t)param_int(params, "loops");
	wl->message = message;
	wl->buffer = buffer;
	wl->wake_room = MAX(message, MIN((uint64_t)MSG_PAGE_BYTES, buffer));
	bool pipe = strcmp(param_string(params, "ipc"), "pipe") == 0;
	double ns = (double)gos_config(env->k)->cost_ns[GOS_COST_SYSCALL] + (pipe ? MSG_PIPE_CALL_NS : MSG_SOCKET_CALL_NS) +
		    (double)message * MSG_COPY_PS_PER_BYTE / 1e3;
	wl->call_cycles = (uint64_t)(ns * (double)env->khz / 1e6 + 0.5);
	wl_meter_init(&wl->meter, wl->sim);
	wl->sent.n = wl->sender_blocks.n = wl->receiver_blocks.n = 0;
	sim_track_counter(wl->sim, &wl->sent);
	sim_track_counter(wl->sim, &wl->sender_blocks);
	sim_track_counter(wl->sim, &wl->receiver_blocks);
	uint32_t n = wl->groups * wl->pairs;
	wl->senders = g_new0(struct sender, n);
	wl->receivers = g_new0(struct receiver, n);
	for (uint32_t g = 0; g < wl->groups; g++) {
		for (uint32_t i = g * wl->pairs; i < (g + 1) * wl->pairs; i++) {
			struct receiver *r = &wl->receivers[i];
			r->wl = wl;
			r->box.waiters = g_new(uint32_t, wl->pairs);
			r->task = wl_task_new(env, "receiver", i, 0, &receiver_program, r, error);
			if (!r->task) {
				msg_free(wl);
				return NULL;
			}
			r->slot = wl_meter_task(&wl->meter, r->task);
		}
		for (uint32_t i = g * wl->pairs; i < (g + 1) * wl->pairs; i++) {
			struct sender *s = &wl->senders[i];
			s->wl = wl;
			s->group = g;
			s->task = wl_task_new(env, "sender", i, 0, &sender_program, s, error);
			if (!s->task) {
				msg_free(wl);
				return NULL;
			}
			s->slot = wl_meter_task(&wl->meter, s->task);
		}
	}
	return wl;
}

static void msg_stats(void *inst, struct wl_stats *out)
{
	struct messaging *wl = inst;
	wl_meter_stats(&wl->meter, 0, out);
	wl->counters[0] = (struct wl_counter){"sent", "ops", (double)wl->sent.n};
	wl->counters[1] = (struct wl_counter){"in_flight", "count", (double)wl->in_flight};
	wl->counters[2] = (struct wl_counter){"sender_blocks", "count", (double)wl->sender_blocks.n};
	wl->counters[3] = (struct wl_counter){"receiver_blocks", "count", (double)wl->receiver_blocks.n};
	out->counters = wl->counters;
	out->ncounters = G_N_ELEMENTS(wl->counters);
}

static const struct param msg_params[] = {
	{.name = "groups", .type = PARAM_INT, .def = "10", .min = 1, .max = 1024,
	 .doc = "groups of senders and receivers (hackbench's first argument)"},
	{.name = "pairs", .type = PARAM_INT, .def = "20", .min = 1, .max = 256,
	 .doc = "senders and receivers per group (hackbench -f); every sender writes to every receiver of its group"},
	{.name = "loops", .type = PARAM_INT, .def = "0", .min = 0, .max = 1e12,
	 .doc = "rounds per sender, one message to each receiver of its group per round; 0: for ever (hackbench -l, 100 there)"},
	{.name = "message", .type = PARAM_BYTES, .def = "100", .min = 1, .max = 1073741824, .unit = "bytes",
	 .doc = "bytes per message (hackbench -s); at most buffer"},
	{.name = "ipc", .type = PARAM_ENUM, .def = "\"socket\"", .choices = "socket|pipe",
	 .doc = "a Unix stream socket pair per receiver (hackbench's default) or a pipe (-p): the per-call cost"},
	{.name = "buffer", .type = PARAM_BYTES, .def = "\"64KiB\"", .min = 1, .max = 1073741824, .unit = "bytes",
	 .doc = "bytes a receiver's pipe or socket holds; a writer blocks while its message does not fit"},
	{0},
};

const struct wl_kind wl_kind_messaging = {
	.name = "messaging",
	.doc = "hackbench: groups of senders writing messages to every receiver of their group over pipes or sockets",
	.ops_unit = "messages",
	.params = msg_params,
	.create = msg_create,
	.stats = msg_stats,
	.free = msg_free,
};
