/* SPDX-License-Identifier: MIT */
/*
 * net_rr.c - workload kind "net-rr": `connections` guest tasks, each doing request/response
 *            transactions one after another on a connection of its own through the VM's network
 *            adapter `device` (netperf TCP_RR: one transaction in flight per connection).
 * Transaction: send `request` bytes, then receive the `response` the peer (an echo server)
 *            answers `service` after the whole request arrived. Both must fit in `window`.
 * Operation: one transaction. Latency: from the start of the send to the end of the receive (the
 *            round trip the application sees). Draws nothing (rng_digest 0). Per task: its transactions.
 */
#include "models/io/net.h"
#include "workloads/wl-int.h"

struct rr_wl;

struct rr_task {
	struct rr_wl *wl;
	struct io_conn *conn;
	uint32_t slot;                /* in the meter */
	sim_time_t started;
	bool sending;                 /* the next operation is the receive */
	bool busy;                    /* a transaction has started */
};

struct rr_wl {
	struct sim *sim;
	struct wl_meter meter;
	uint64_t request, response;
	uint32_t ntasks;
	struct rr_task *tasks;
};

/* Called when the previous operation ended: after a send, receive the response; after a receive
   (or at the start), the transaction is done and the next one starts. */
static void task_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct rr_task *rt = arg;
	struct rr_wl *wl = rt->wl;
	if (rt->sending) {
		rt->sending = false;
		gos_op_net_recv(op, rt->conn, wl->response);
		return;
	}
	sim_time_t now = sim_now(wl->sim);
	if (rt->busy)
		wl_meter_record_task(&wl->meter, rt->slot, now - rt->started);
	rt->busy = true;
	rt->started = now;
	rt->sending = true;
	gos_op_net_send(op, rt->conn, wl->request);
}

static const struct gos_program task_program = {.next = task_next};

static void rr_free(void *inst)
{
	struct rr_wl *wl = inst;
	if (!wl)
		return;
	wl_meter_clear(&wl->meter);
	g_free(wl->tasks); /* the connections are the adapter's */
	g_free(wl);
}

static void *rr_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	uint64_t window = param_bytes(params, "window");
	uint64_t request = param_bytes(params, "request"), response = param_bytes(params, "response");
	if (request > window || response > window) {
		bool req = request > window;
		g_set_error(error, WL_ERROR, 0,
			    "net-rr: %s (%" G_GUINT64_FORMAT " bytes) is larger than window (%" G_GUINT64_FORMAT
			    " bytes): a message must fit in the socket buffer",
			    req ? "request" : "response", req ? request : response, window);
		return NULL;
	}
	struct io_net *net = wl_net_find(env, "net-rr", param_string(params, "device"), error);
	if (!net)
		return NULL;
	struct rr_wl *wl = g_new0(struct rr_wl, 1);
	wl->sim = gos_sim(env->k);
	wl->request = request;
	wl->response = response;
	wl->ntasks = (uint32_t)param_int(params, "connections");
	wl->tasks = g_new0(struct rr_task, wl->ntasks);
	wl_meter_init(&wl->meter, wl->sim);
	struct io_conn_config cc = {.peer = IO_PEER_ECHO, .window = window, .request = request, .response = response,
				    .service = param_time(params, "service")};
	for (uint32_t i = 0; i < wl->ntasks; i++) {
		struct rr_task *rt = &wl->tasks[i];
		rt->wl = wl;
		rt->conn = io_net_connect(net, &cc, error);
		struct gos_task *t = rt->conn ? wl_task_new(env, "rr", i, 0, &task_program, rt, error) : NULL;
		if (!t) {
			rr_free(wl);
			return NULL;
		}
		rt->slot = wl_meter_task(&wl->meter, t);
	}
	return wl;
}

static void rr_stats(void *inst, struct wl_stats *out)
{
	const struct rr_wl *wl = inst;
	wl_meter_stats(&wl->meter, 0, out);
}

static const struct param rr_params[] = {
	{.name = "device", .type = PARAM_STRING, .def = "\"nic0\"", .doc = "the VM's network adapter (a name in its devices)"},
	{.name = "connections", .type = PARAM_INT, .def = "1", .min = 1, .max = 1024,
	 .doc = "connections, one task each with one transaction in flight"},
	{.name = "request", .type = PARAM_BYTES, .def = "1", .min = 1, .max = 1073741824, .unit = "bytes",
	 .doc = "bytes the guest sends per transaction (at most window)"},
	{.name = "response", .type = PARAM_BYTES, .def = "1", .min = 1, .max = 1073741824, .unit = "bytes",
	 .doc = "bytes the peer answers (at most window)"},
	{.name = "service", .type = PARAM_TIME, .def = "\"0ns\"", .min = 0, .max = 1e10, .unit = "ns",
	 .doc = "the peer's time to answer, after the whole request arrived"},
	{.name = "window", .type = PARAM_BYTES, .def = "\"1MiB\"", .min = 1024, .max = 1073741824, .unit = "bytes",
	 .doc = "socket buffer: bytes a side may have unacknowledged"},
	{0},
};

const struct wl_kind wl_kind_net_rr = {
	.name = "net-rr",
	.doc = "request/response transactions over connections of one of the VM's network adapters (netperf TCP_RR)",
	.ops_unit = "transactions",
	.params = rr_params,
	.create = rr_create,
	.stats = rr_stats,
	.free = rr_free,
};
