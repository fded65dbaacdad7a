/* SPDX-License-Identifier: MIT */
/*
 * kv.c - workload kind "kv": a key-value server under a YCSB load (Cooper et al., SoCC 2010).
 *        `clients` connections of the VM's network adapter `device`, each with a client at the
 *        peer (IO_PEER_CLIENT: it sends a request, waits for the response, thinks `think`, sends
 *        the next) and a server task of its own. A server task receives a request, draws the
 *        operation from the `mix` and its key (YCSB's zipfian over `records`, or the latest
 *        records for ycsb-d), takes the key's bucket lock (one of `locks`), computes the
 *        operation's demand (`service` per record touched), releases the lock, reads missing
 *        records from `disk` (each record read misses the cache with probability `cache_miss`),
 *        writes updated or inserted records to it (`sync_writes`), and sends the response.
 * Mixes: ycsb-a read/update 50/50, b 95/5, c read only, d read latest 95 / insert 5, e scan 95 /
 *        insert 5 (a scan reads `scan_length` records from a zipfian start), f read 50 /
 *        read-modify-write 50. Inserts append keys records, records + 1, ... (the record count
 *        grows; the zipfian's zeta is extended).
 * Working set: without a `working_set` key, the store's records: records x value_size in memory
 *        (no disk), or the cached share records x value_size x (1 - cache_miss) with a disk (the
 *        rest is read from it), as loaded at creation (inserts do not grow it).
 * Sizes: the peer's requests and responses have one size per connection (net.h), the mean over the
 *        mix: request = key_size + value_size per record written, response = key_size +
 *        value_size per record read.
 * Operation: one request served. Latency: from the end of the request's receive (the whole
 *        request in the server's hands) to the end of the response's send (handed to the stack):
 *        the server's response time; the wire, the stacks and the wake-up are the adapter's
 *        (dev:VM/NAME rx_latency, tx_latency). Per task: the requests the server task served.
 * Randomness: connection i draws the operation ("conn:<i>/op"), the key ("conn:<i>/key"), the
 *        demands ("conn:<i>/service") and the cache misses ("conn:<i>/miss", only with a disk and
 *        0 < cache_miss < 1) when its request has arrived.
 * Counters (scope vm:NAME/wl:I, since the warm-up, counted when the response is sent): reads,
 *        updates, inserts, scans, rmws, cache_misses, disk_writes, top_key_ops and second_key_ops
 *        (operations whose zipfian rank was 0 or 1: the skew).
 * See: docs/workloads.md; tests/unit/wl/test_workloads.c
 */
#include <string.h>

#include "models/guestos/lock.h"
#include "models/io/disk.h"
#include "models/io/net.h"
#include "workloads/wl-int.h"

enum kv_op { KV_READ, KV_UPDATE, KV_INSERT, KV_SCAN, KV_RMW, KV_NOPS };

static const char *const op_counter_names[KV_NOPS] = {"reads", "updates", "inserts", "scans", "rmws"};

/* A YCSB core workload: the share of each operation, and whether reads favour the latest keys. */
struct kv_mix {
	const char *name;
	double share[KV_NOPS];
	bool latest;
};

static const struct kv_mix mixes[] = {
	{"ycsb-a", {[KV_READ] = 0.5, [KV_UPDATE] = 0.5}, false},
	{"ycsb-b", {[KV_READ] = 0.95, [KV_UPDATE] = 0.05}, false},
	{"ycsb-c", {[KV_READ] = 1}, false},
	{"ycsb-d", {[KV_READ] = 0.95, [KV_INSERT] = 0.05}, true},
	{"ycsb-e", {[KV_SCAN] = 0.95, [KV_INSERT] = 0.05}, false},
	{"ycsb-f", {[KV_READ] = 0.5, [KV_RMW] = 0.5}, false},
};

/* The steps of serving one request, in order; steps an operation does not need are skipped. */
enum kv_step { ST_RECV, ST_PLAN, ST_LOCK, ST_COMPUTE, ST_UNLOCK, ST_READS, ST_WRITE, ST_SEND };

struct kv;

struct kv_server {
	struct kv *wl;
	struct io_conn *conn;
	struct io_disk_io io;
	struct wl_stream op, key, service, miss;
	uint32_t slot;                /* in the meter */
	enum kv_step step;            /* the step next() hands out (or, for ST_PLAN, takes up) next */
	bool serving;                 /* a request was received and its response not yet counted */
	/* the request being served */
	enum kv_op kind;
	uint64_t rank;                /* zipfian rank of its key (UINT64_MAX: an insert) */
	struct gos_lock *lock;
	uint64_t cycles;              /* its compute */
	uint32_t misses;              /* disk reads still to do */
	bool write;                   /* a disk write to do */
	sim_time_t arrived;           /* its receive ended */
};

struct kv {
	struct sim *sim;
	struct wl_meter meter;
	const struct kv_mix *mix;
	double cum[KV_NOPS];          /* cumulative shares */
	struct wl_service service;
	struct wl_zipf zipf;
	uint64_t records;             /* the record count, inserts included */
	uint64_t request, response;
	uint64_t value_size;
	uint32_t scan_length;
	double cache_miss;
	bool sync_writes;
	double memory_bound;
	struct io_disk *disk;         /* NULL: the store is in memory */
	uint32_t nlocks, nservers;
	struct gos_lock **locks;
	struct kv_server *servers;
	struct sim_counter ops_of[KV_NOPS], cache_misses, disk_writes, top_key, second_key;
	struct wl_counter counters[KV_NOPS + 4];
};

/* Records an operation of each kind reads, writes and touches (its demand is per record touched). */
static uint32_t records_read(const struct kv *wl, enum kv_op k)
{
	return k == KV_SCAN ? wl->scan_length : (k == KV_READ || k == KV_RMW) ? 1 : 0;
}
static uint32_t records_written(enum kv_op k) { return k == KV_UPDATE || k == KV_INSERT || k == KV_RMW; }
static uint32_t records_touched(const struct kv *wl, enum kv_op k) { return k == KV_RMW ? 2 : MAX(records_read(wl, k), 1u); }

/* A key's bucket: a 64-bit mix (splitmix64's finaliser), so neighbouring keys spread. */
static uint32_t bucket(uint64_t key, uint32_t n)
{
	key ^= key >> 30;
	key *= UINT64_C(0xbf58476d1ce4e5b9);
	key ^= key >> 27;
	key *= UINT64_C(0x94d049bb133111eb);
	key ^= key >> 31;
	return (uint32_t)(key % n);
}

/* The request has arrived: draw what it asks and plan its steps. */
static void plan(struct kv_server *s)
{
	struct kv *wl = s->wl;
	double u = wl_stream_keep(&s->op, sim_rng_uniform(&s->op.rng));
	enum kv_op k = KV_READ;
	while (k < KV_NOPS - 1 && u >= wl->cum[k])
		k++;
	while (wl->mix->share[k] == 0) /* u at the very top lands past the last kind in use */
		k--;
	s->kind = k;
	uint64_t key;
	if (k == KV_INSERT) {
		key = wl->records++;
		s->rank = UINT64_MAX;
	} else {
		s->rank = wl_zipf_next(&wl->zipf, &s->key, wl->records);
		key = wl->mix->latest ? wl->records - 1 - s->rank : s->rank;
	}
	s->lock = wl->locks[bucket(key, wl->nlocks)];
	s->cycles = 0;
	for (uint32_t i = records_touched(wl, k); i > 0; i--)
		s->cycles += wl_service_draw(&wl->service, &s->service);
	s->misses = 0;
	if (wl->disk && wl->cache_miss > 0) {
		for (uint32_t i = records_read(wl, k); i > 0; i--)
			s->misses += wl->cache_miss >= 1 || wl_stream_keep(&s->miss, sim_rng_uniform(&s->miss.rng)) < wl->cache_miss;
	}
	s->write = wl->disk && wl->sync_writes && records_written(k);
}

/* Counts the request whose response was just sent. */
static void served(struct kv_server *s)
{
	struct kv *wl = s->wl;
	wl_meter_record_task(&wl->meter, s->slot, sim_now(wl->sim) - s->arrived);
	sim_counter_inc(&wl->ops_of[s->kind]);
	if (s->rank == 0)
		sim_counter_inc(&wl->top_key);
	else if (s->rank == 1)
		sim_counter_inc(&wl->second_key);
	s->serving = false;
}

/* Task body: the next step of serving requests (a step with nothing to do falls through). */
static void server_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct kv_server *s = arg;
	struct kv *wl = s->wl;
	for (;;) {
		switch (s->step) {
		case ST_RECV: /* the response was sent (or the task starts): receive the next request */
			if (s->serving)
				served(s);
			s->step = ST_PLAN;
			gos_op_net_recv(op, s->conn, wl->request);
			return;
		case ST_PLAN: /* the request is in */
			s->arrived = sim_now(wl->sim);
			s->serving = true;
			plan(s);
			s->step = ST_LOCK;
			continue;
		case ST_LOCK:
			s->step = ST_COMPUTE;
			gos_op_lock(op, s->lock);
			return;
		case ST_COMPUTE:
			s->step = ST_UNLOCK;
			*op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = s->cycles, .mem_share = wl->memory_bound};
			return;
		case ST_UNLOCK:
			s->step = ST_READS;
			gos_op_unlock(op, s->lock);
			return;
		case ST_READS:
			if (s->misses == 0) {
				s->step = ST_WRITE;
				continue;
			}
			s->misses--;
			sim_counter_inc(&wl->cache_misses);
			s->io.bytes = wl->value_size;
			s->io.write = false;
			gos_op_disk(op, &s->io);
			return;
		case ST_WRITE:
			s->step = ST_SEND;
			if (!s->write)
				continue;
			sim_counter_inc(&wl->disk_writes);
			s->io.bytes = wl->value_size;
			s->io.write = true;
			gos_op_disk(op, &s->io);
			return;
		case ST_SEND:
			s->step = ST_RECV;
			gos_op_net_send(op, s->conn, wl->response);
			return;
		}
	}
}

static const struct gos_program server_program = {.next = server_next};

/* ---- the kind ---- */

static void kv_free(void *inst)
{
	struct kv *wl = inst;
	if (!wl)
		return;
	wl_meter_clear(&wl->meter);
	g_free(wl->locks); /* the locks are the kernel's, the connections the adapter's */
	g_free(wl->servers);
	g_free(wl);
}

static const struct kv_mix *mix_find(const char *name)
{
	for (size_t i = 0; name && i < G_N_ELEMENTS(mixes); i++)
		if (strcmp(mixes[i].name, name) == 0)
			return &mixes[i];
	return NULL;
}

/* Mean request and response sizes over the mix (rounded, at least 1 byte). */
static void mean_sizes(struct kv *wl, uint64_t key_size)
{
	double req = 0, resp = 0;
	for (int k = 0; k < KV_NOPS; k++) {
		req += wl->mix->share[k] * (double)(key_size + records_written((enum kv_op)k) * wl->value_size);
		resp += wl->mix->share[k] * (double)(key_size + records_read(wl, (enum kv_op)k) * wl->value_size);
	}
	wl->request = MAX((uint64_t)(req + 0.5), 1);
	wl->response = MAX((uint64_t)(resp + 0.5), 1);
}

/* The derived working set (see the top of this file). */
static uint64_t kv_working_set(const struct kv *wl, uint64_t value_size)
{
	double bytes = (double)wl->records * (double)value_size;
	return (uint64_t)(wl->disk ? bytes * (1.0 - wl->cache_miss) : bytes);
}

static void *kv_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	struct kv *wl = g_new0(struct kv, 1);
	wl->mix = mix_find(param_string(params, "mix"));
	g_assert(wl->mix); /* the table's choices */
	wl->value_size = param_bytes(params, "value_size");
	wl->scan_length = (uint32_t)param_int(params, "scan_length");
	mean_sizes(wl, param_bytes(params, "key_size"));
	uint64_t window = param_bytes(params, "window");
	if (wl->request > window || wl->response > window) {
		bool req = wl->request > window;
		g_set_error(error, WL_ERROR, 0,
			    "kv: the mix's mean %s (%" G_GUINT64_FORMAT " bytes) is larger than window (%" G_GUINT64_FORMAT
			    " bytes): a message must fit in the socket buffer",
			    req ? "request" : "response", req ? wl->request : wl->response, window);
		g_free(wl);
		return NULL;
	}
	if (!wl_service_init(&wl->service, cJSON_GetObjectItemCaseSensitive(params, "service"), env->khz, "service",
			     error)) {
		g_free(wl);
		return NULL;
	}
	struct io_net *net = wl_net_find(env, "kv", param_string(params, "device"), error);
	const char *disk = param_string(params, "disk");
	if (!net || (disk && !(wl->disk = wl_disk_find(env, "kv", disk, error)))) {
		g_free(wl);
		return NULL;
	}
	wl->sim = gos_sim(env->k);
	double acc = 0;
	for (int k = 0; k < KV_NOPS; k++)
		wl->cum[k] = acc += wl->mix->share[k];
	wl->records = (uint64_t)param_int(params, "records");
	wl_zipf_init(&wl->zipf, wl->records, param_number(params, "zipf"));
	wl->cache_miss = param_number(params, "cache_miss");
	wl->sync_writes = param_bool(params, "sync_writes");
	wl->memory_bound = param_number(params, "memory_bound");
	wl->nlocks = (uint32_t)param_int(params, "locks");
	enum gos_lock_kind kind = strcmp(param_string(params, "lock"), "mutex") == 0
					  ? GOS_LOCK_MUTEX
					  : (enum gos_lock_kind)gos_config(env->k)->spinlock;
	wl->locks = g_new0(struct gos_lock *, wl->nlocks);
	for (uint32_t i = 0; i < wl->nlocks; i++) {
		char *name = g_strdup_printf("wl%u.bucket-%u", env->index, i);
		wl->locks[i] = gos_lock_new(env->k, name, kind);
		g_free(name);
	}
	wl_meter_init(&wl->meter, wl->sim);
	for (int k = 0; k < KV_NOPS; k++)
		sim_track_counter(wl->sim, &wl->ops_of[k]);
	sim_track_counter(wl->sim, &wl->cache_misses);
	sim_track_counter(wl->sim, &wl->disk_writes);
	sim_track_counter(wl->sim, &wl->top_key);
	sim_track_counter(wl->sim, &wl->second_key);
	struct io_conn_config cc = {.peer = IO_PEER_CLIENT, .window = window, .request = wl->request,
				    .response = wl->response, .service = param_time(params, "think")};
	wl->nservers = (uint32_t)param_int(params, "clients");
	wl->servers = g_new0(struct kv_server, wl->nservers);
	for (uint32_t i = 0; i < wl->nservers; i++) {
		struct kv_server *s = &wl->servers[i];
		s->wl = wl;
		s->io.disk = wl->disk;
		wl_stream_init(&s->op, env, "conn:%u/op", i);
		wl_stream_init(&s->key, env, "conn:%u/key", i);
		wl_stream_init(&s->service, env, "conn:%u/service", i);
		wl_stream_init(&s->miss, env, "conn:%u/miss", i);
		s->conn = io_net_connect(net, &cc, error);
		struct gos_task *t = s->conn ? wl_task_new(env, "server", i, 0, &server_program, s, error) : NULL;
		if (!t) {
			kv_free(wl);
			return NULL;
		}
		s->slot = wl_meter_task(&wl->meter, t);
	}
	if (!cJSON_GetObjectItemCaseSensitive(params, "working_set")) /* given: the runner adds it */
		gos_add_working_set(env->k, kv_working_set(wl, param_bytes(params, "value_size")));
	return wl;
}

/* The digest folds every connection's op streams, then key, service and miss streams. */
static void kv_stats(void *inst, struct wl_stats *out)
{
	struct kv *wl = inst;
	uint64_t digest = 0;
	for (uint32_t i = 0; i < wl->nservers; i++)
		digest = wl_digest_fold(digest, &wl->servers[i].op);
	for (uint32_t i = 0; i < wl->nservers; i++)
		digest = wl_digest_fold(digest, &wl->servers[i].key);
	for (uint32_t i = 0; i < wl->nservers; i++)
		digest = wl_digest_fold(digest, &wl->servers[i].service);
	for (uint32_t i = 0; i < wl->nservers; i++)
		digest = wl_digest_fold(digest, &wl->servers[i].miss);
	wl_meter_stats(&wl->meter, digest, out);
	uint32_t n = 0;
	for (int k = 0; k < KV_NOPS; k++)
		wl->counters[n++] = (struct wl_counter){op_counter_names[k], "ops", (double)wl->ops_of[k].n};
	wl->counters[n++] = (struct wl_counter){"cache_misses", "count", (double)wl->cache_misses.n};
	wl->counters[n++] = (struct wl_counter){"disk_writes", "count", (double)wl->disk_writes.n};
	wl->counters[n++] = (struct wl_counter){"top_key_ops", "ops", (double)wl->top_key.n};
	wl->counters[n++] = (struct wl_counter){"second_key_ops", "ops", (double)wl->second_key.n};
	out->counters = wl->counters;
	out->ncounters = n;
}

static const struct param kv_params[] = {
	{.name = "device", .type = PARAM_STRING, .def = "\"nic0\"", .doc = "the VM's network adapter the clients reach it through"},
	{.name = "disk", .type = PARAM_STRING, .def = "null",
	 .doc = "the VM's disk holding the records (a name in its devices); without it the store is in memory (no I/O)"},
	{.name = "clients", .type = PARAM_INT, .def = "16", .min = 1, .max = 4096,
	 .doc = "connections, each a client at the peer with one request outstanding and a server task in the VM"},
	{.name = "think", .type = PARAM_TIME, .def = "\"0ns\"", .min = 0, .max = 1e12, .unit = "ns",
	 .doc = "a client's pause between a response and its next request"},
	{.name = "mix", .type = PARAM_ENUM, .def = "\"ycsb-a\"", .choices = "ycsb-a|ycsb-b|ycsb-c|ycsb-d|ycsb-e|ycsb-f",
	 .doc = "YCSB core workload: a 50/50 read/update, b 95/5, c read, d 95 read latest/5 insert, e 95 scan/5 insert, f 50 read/50 read-modify-write"},
	{.name = "records", .type = PARAM_INT, .def = "1000000", .min = 1, .max = 1e8,
	 .doc = "records loaded (YCSB recordcount); the zipfian's setup sums over them (about 35 ms per million)"},
	{.name = "zipf", .type = PARAM_NUMBER, .def = "0.99", .min = 0, .max = 0.9999,
	 .doc = "zipfian constant theta of the key choice (YCSB's 0.99; 0: uniform)"},
	{.name = "key_size", .type = PARAM_BYTES, .def = "\"32B\"", .min = 1, .max = 65536, .unit = "bytes",
	 .doc = "bytes of a request or response besides its values (key, header)"},
	{.name = "value_size", .type = PARAM_BYTES, .def = "\"1000B\"", .min = 1, .max = 16777216, .unit = "bytes",
	 .doc = "bytes of a record (YCSB: 10 fields of 100 bytes)"},
	{.name = "scan_length", .type = PARAM_INT, .def = "50", .min = 1, .max = 1000,
	 .doc = "records a scan reads (YCSB draws 1..100, mean 50)"},
	{.name = "service", .type = PARAM_OBJECT, .def = "{\"mean\": \"20us\"}", .fields = wl_service_fields,
	 .doc = "CPU demand per record an operation touches (drawn per record; computed under the bucket lock)"},
	{.name = "locks", .type = PARAM_INT, .def = "64", .min = 1, .max = 65536,
	 .doc = "bucket locks; an operation takes the one its key hashes to"},
	{.name = "lock", .type = PARAM_ENUM, .def = "\"mutex\"", .choices = "mutex|spinlock",
	 .doc = "mutex: a sleeping lock (a user-space server); spinlock: the kernel's kind (guest.spinlock)"},
	{.name = "cache_miss", .type = PARAM_NUMBER, .def = "0.1", .min = 0, .max = 1,
	 .doc = "probability that a record read misses the cache: a disk read of value_size (only with disk)"},
	{.name = "sync_writes", .type = PARAM_BOOL, .def = "true",
	 .doc = "an update, insert or read-modify-write writes its record to disk before responding (only with disk)"},
	{.name = "window", .type = PARAM_BYTES, .def = "\"1MiB\"", .min = 1024, .max = 1073741824, .unit = "bytes",
	 .doc = "socket buffer: bytes a side may have unacknowledged"},
	WL_PARAM_MEMORY_BOUND,
	{0},
};

const struct wl_kind wl_kind_kv = {
	.name = "kv",
	.doc = "a key-value server under a YCSB mix: network, CPU, bucket locks and, with a disk, storage",
	.ops_unit = "operations",
	.params = kv_params,
	.create = kv_create,
	.stats = kv_stats,
	.free = kv_free,
};
