/* SPDX-License-Identifier: MIT */
/*
 * net_stream.c - workload kind "net-stream": `connections` guest tasks, each streaming bulk data
 *                on a connection of its own through the VM's network adapter `device` (netperf
 *                TCP_STREAM / iperf -P: one sender or receiver thread per connection).
 * Direction: tx - each task sends `message` bytes per call to a peer that only takes data (a sink);
 *            rx - the peer sends without end (a source) and each task receives `message` bytes per
 *            call. `window` is each side's socket buffer (bytes unacknowledged).
 * Operation: one payload byte delivered: tx counts what the peer received, rx what the tasks read
 *            (io_conn_stats, since the warm-up), summed over the connections. No latency per
 *            operation (an empty histogram): dev:VM/NAME has the packets' tx_latency/rx_latency.
 *            Draws nothing (rng_digest 0).
 */
#include "models/io/net.h"
#include "workloads/wl-int.h"

struct stream_wl;

struct stream_conn {
	struct stream_wl *wl;
	struct io_conn *conn;
	struct gos_task *task;
};

struct stream_wl {
	bool tx;
	uint64_t message;
	uint32_t nconns;
	struct stream_conn *conns;
	struct sim_hist none;         /* the (empty) latency histogram */
	struct gos_task **tasks;      /* for stats: conns[i].task */
	uint64_t *task_bytes;         /* for stats: each connection's bytes */
};

static void task_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct stream_conn *sc = arg;
	if (sc->wl->tx)
		gos_op_net_send(op, sc->conn, sc->wl->message);
	else
		gos_op_net_recv(op, sc->conn, sc->wl->message);
}

static const struct gos_program task_program = {.next = task_next};

static void stream_free(void *inst)
{
	struct stream_wl *wl = inst;
	if (!wl)
		return;
	sim_hist_clear(&wl->none);
	g_free(wl->tasks);
	g_free(wl->task_bytes);
	g_free(wl->conns); /* the connections are the adapter's */
	g_free(wl);
}

static void *stream_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	struct io_net *net = wl_net_find(env, "net-stream", param_string(params, "device"), error);
	if (!net)
		return NULL;
	struct stream_wl *wl = g_new0(struct stream_wl, 1);
	wl->tx = g_strcmp0(param_string(params, "direction"), "tx") == 0;
	wl->message = param_bytes(params, "message");
	wl->nconns = (uint32_t)param_int(params, "connections");
	wl->conns = g_new0(struct stream_conn, wl->nconns);
	wl->tasks = g_new0(struct gos_task *, wl->nconns);
	wl->task_bytes = g_new0(uint64_t, wl->nconns);
	sim_hist_init(&wl->none);
	struct io_conn_config cc = {.peer = wl->tx ? IO_PEER_SINK : IO_PEER_SOURCE, .window = param_bytes(params, "window")};
	for (uint32_t i = 0; i < wl->nconns; i++) {
		struct stream_conn *sc = &wl->conns[i];
		sc->wl = wl;
		sc->conn = io_net_connect(net, &cc, error);
		sc->task = sc->conn ? wl_task_new(env, wl->tx ? "tx" : "rx", i, 0, &task_program, sc, error) : NULL;
		if (!sc->task) {
			stream_free(wl);
			return NULL;
		}
		wl->tasks[i] = sc->task;
	}
	return wl;
}

/* Per task: its connection's bytes, counted as the workload counts them. */
static void stream_stats(void *inst, struct wl_stats *out)
{
	struct stream_wl *wl = inst;
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < wl->nconns; i++) {
		struct io_conn_stats cs;
		io_conn_stats(wl->conns[i].conn, &cs);
		wl->task_bytes[i] = wl->tx ? cs.peer_received : cs.read;
		bytes += wl->task_bytes[i];
	}
	*out = (struct wl_stats){.ops = bytes, .latency = &wl->none, .rng_digest = 0, .ntasks = wl->nconns,
				 .tasks = wl->tasks, .task_ops = wl->task_bytes};
}

static const struct param stream_params[] = {
	{.name = "device", .type = PARAM_STRING, .def = "\"nic0\"", .doc = "the VM's network adapter (a name in its devices)"},
	{.name = "connections", .type = PARAM_INT, .def = "1", .min = 1, .max = 1024,
	 .doc = "connections, one task each (RSS spreads them over queues and channels)"},
	{.name = "message", .type = PARAM_BYTES, .def = "\"64KiB\"", .min = 1, .max = 1073741824, .unit = "bytes",
	 .doc = "bytes per send or receive call"},
	{.name = "direction", .type = PARAM_ENUM, .def = "\"tx\"", .choices = "tx|rx",
	 .doc = "tx: the guest sends to a sink; rx: a source sends to the guest"},
	{.name = "window", .type = PARAM_BYTES, .def = "\"1MiB\"", .min = 1024, .max = 1073741824, .unit = "bytes",
	 .doc = "socket buffer: bytes a side may have unacknowledged"},
	{0},
};

const struct wl_kind wl_kind_net_stream = {
	.name = "net-stream",
	.doc = "bulk TCP-like transfer over connections of one of the VM's network adapters (netperf TCP_STREAM)",
	.ops_unit = "bytes",
	.params = stream_params,
	.create = stream_create,
	.stats = stream_stats,
	.free = stream_free,
};
