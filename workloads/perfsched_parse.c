/* SPDX-License-Identifier: MIT */
/*
 * perfsched_parse.c - reads `perf sched script` text and rebuilds each kept thread's behaviour as
 *                     a step sequence (perfsched.h): run bursts, blocks matched to their waker's
 *                     position, timed sleeps for wakes from outside, forks.
 * Lines: "COMM PID [CPU] SECONDS.FRACTION: [SYSTEM:]EVENT: FIELDS" (COMM may hold spaces; PID may
 *       be PID/TID; flag columns before the time are skipped). FIELDS are the kernel's key=value
 *       format or libtraceevent's plugin format for sched_switch ("a:1 [120] S ==> b:2 [120]") and
 *       the wakeups ("a:1 [120] CPU:001"). Other events are counted and ignored; '#' lines are
 *       comments, except the header "# hvsim-trace: lps=N mhz=M cmd=..." (scripts/record-trace.sh).
 * Method: two passes over the events sorted by (time, line). Pass 1 decides which pids the
 *       filters keep and from when (a thread renamed by exec is kept from its first matching name
 *       on). Pass 2 follows every pid's state (on a CPU, ready, blocked, dead) and appends steps to
 *       the kept ones: an on-CPU interval is cut at each wake or fork it makes (wall offsets, the
 *       task being current all along), and its length is the sum of its sched_stat_runtime events
 *       (clipped to the interval) or, without them, the switch times. A wake that comes while its
 *       target is still current is held: it ends the block that follows if nothing else does.
 *       Finally, the wakes that ended nothing are dropped and the steps renumbered (compact).
 * Cost: O(events) time; the events are held in memory (about 80 bytes each) until the end.
 * See: docs/perf-sched.md
 */
#include <string.h>

#include "workloads/perfsched.h"
#include "workloads/wl-int.h"

enum ev_kind {
	EV_SWITCH,
	EV_WAKING,
	EV_WAKEUP,
	EV_WAKEUP_NEW,
	EV_FORK,
	EV_EXIT,
	EV_RUNTIME,
	EV_OTHER, /* sched_migrate_task and whatever else: counted, not used */
};

/* One event line. Strings are interned in the parser's chunk. */
struct ev {
	enum ev_kind kind;
	uint32_t line;
	int32_t cpu;
	uint64_t ts_ns;
	int32_t pid;          /* the line's leader: the task current on the CPU */
	const char *comm;
	int32_t a_pid, b_pid; /* switch: prev, next; wakes: target; fork: parent, child; exit, runtime: the task */
	const char *a_comm, *b_comm;
	char state;           /* switch: first letter of prev_state */
	uint64_t runtime_ns;
};

enum pst_state { ST_UNKNOWN, ST_ON, ST_READY, ST_BLOCKED, ST_DEAD };

/* What the rebuild knows of one pid (kept or not). */
struct pst {
	int32_t pid;
	const char *comm;
	uint32_t mentions;
	bool kept;              /* the filters keep it ... */
	uint64_t keep_from;     /* ... from this time on (0: all of it) */
	enum pst_state st;
	bool exit_seen;         /* sched_process_exit */
	struct wl_ps_thread *th; /* NULL until it enters the replay */
	uint32_t idx;           /* th's index */
	/* ST_ON: the current on-CPU interval */
	uint64_t iv_start, iv_mark, iv_segs, iv_runtime;
	bool iv_has_runtime;
	/* ST_BLOCKED with th: its BLOCK step waits for a waker */
	bool block_open;
	uint32_t block_step;
	uint64_t block_ts;
	/* an early wake: one that came while it was still current (between setting its sleeping
	   state and the switch, or in the middle of switching out) */
	bool pend;
	struct wl_ps_thread *pend_th; /* the waker's thread, NULL when it came from outside */
	uint32_t pend_idx;            /* its index */
	uint32_t pend_step;           /* its WAKE step */
};

struct cpu_span {
	int32_t pid;
	uint64_t t0, t1;
};

/* A CPU's current task (from its switches) and since when. */
struct cpu_track {
	uint64_t since;
	int32_t curr; /* -1 until its first switch */
};

struct parser {
	const char *file;
	const struct wl_ps_filter *filter;
	char **globs;           /* the comm filter split at commas (NULL: all) */
	GStringChunk *strings;
	GArray *evs;            /* struct ev */
	GHashTable *by_pid;     /* pid -> struct pst * (lookup only) */
	GPtrArray *psts;        /* struct pst *, in order of first mention (owned) */
	struct wl_ps_trace *t;
	uint64_t first_ts, last_ts;
	GArray *cpus;           /* struct cpu_track, by CPU number */
	GArray *spans;          /* struct cpu_span: who was current on a CPU when */
	const char *missing;    /* what the last failed field lookup wanted, for the message */
};

static bool fail(GError **error, const char *file, uint32_t line, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static bool fail(GError **error, const char *file, uint32_t line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (line)
		g_set_error(error, WL_ERROR, 0, "%s:%u: %s", file, line, msg);
	else
		g_set_error(error, WL_ERROR, 0, "%s: %s", file, msg);
	g_free(msg);
	return false;
}

/* ---- lines ---- */

static bool is_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* A decimal integer of at most 10 digits filling [s, s + n). */
static bool parse_int(const char *s, size_t n, int64_t *out)
{
	bool neg = n > 0 && s[0] == '-';
	if (neg)
		s++, n--;
	if (!is_digits(s, n) || n > 10)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	*out = neg ? -v : v;
	return true;
}

/* "SECONDS.FRACTION" (up to 9 fraction digits) in ns. */
static bool parse_ts(const char *s, size_t n, uint64_t *out)
{
	const char *dot = memchr(s, '.', n);
	if (!dot || !is_digits(s, (size_t)(dot - s)) || dot - s > 10)
		return false;
	size_t fn = n - (size_t)(dot - s) - 1;
	if (!is_digits(dot + 1, fn) || fn > 9)
		return false;
	uint64_t sec = 0, frac = 0;
	for (const char *p = s; p < dot; p++)
		sec = sec * 10 + (uint64_t)(*p - '0');
	for (size_t i = 0; i < 9; i++)
		frac = frac * 10 + (i < fn ? (uint64_t)(dot[1 + i] - '0') : 0);
	*out = sec * UINT64_C(1000000000) + frac;
	return true;
}

static const char *intern(struct parser *ps, const char *s, size_t n)
{
	char *tmp = g_strndup(s, n);
	g_strstrip(tmp);
	const char *r = g_string_chunk_insert_const(ps->strings, tmp);
	g_free(tmp);
	return r;
}

/*
 * The value of `key` in a key=value field list: it starts after "key=" (where key follows the
 * start or a space) and runs to the next " IDENT=" or " ==>" (so a comm may hold spaces).
 */
static bool kv_find(const char *f, const char *key, const char **val, size_t *len)
{
	size_t kn = strlen(key);
	for (const char *p = f; (p = strstr(p, key)); p++) {
		if ((p != f && p[-1] != ' ') || p[kn] != '=')
			continue;
		const char *v = p + kn + 1, *e = v;
		for (; *e; e++) {
			if (*e != ' ')
				continue;
			if (strncmp(e, " ==>", 4) == 0)
				break;
			const char *q = e + 1;
			while ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_')
				q++;
			if (q > e + 1 && *q == '=')
				break;
		}
		*val = v;
		*len = (size_t)(e - v);
		return true;
	}
	return false;
}

/* A numeric key=value: the leading integer of the value ("524077 [ns]"). On failure, the key
   becomes ps->missing. */
static bool kv_int(struct parser *ps, const char *f, const char *key, int64_t *out)
{
	const char *v;
	size_t n, d = 0;
	if (kv_find(f, key, &v, &n)) {
		while (d < n && ((v[d] >= '0' && v[d] <= '9') || (d == 0 && v[d] == '-')))
			d++;
		if (parse_int(v, d, out))
			return true;
	}
	if (ps)
		ps->missing = key;
	return false;
}

static bool kv_comm(struct parser *ps, const char *f, const char *key, const char **out)
{
	const char *v;
	size_t n;
	if (!kv_find(f, key, &v, &n)) {
		ps->missing = key;
		return false;
	}
	*out = intern(ps, v, n);
	return true;
}

/* Plugin format "COMM:PID [PRIO]..." or "COMM:PID ...": the task, and where the rest begins. */
static bool plugin_task(struct parser *ps, const char *s, const char *end, const char **comm, int32_t *pid,
			const char **rest)
{
	while (s < end && *s == ' ')
		s++;
	const char *stop = s;
	/* the task token ends at " [" (prio) or, without one, at the last space before the end */
	const char *br = NULL;
	for (const char *p = s; p + 1 < end; p++)
		if (p[0] == ' ' && p[1] == '[') {
			br = p;
			break;
		}
	stop = br ? br : end;
	const char *colon = NULL;
	for (const char *p = stop; p > s; p--)
		if (p[-1] == ':') {
			colon = p - 1;
			break;
		}
	if (!colon)
		return false;
	const char *pe = colon + 1;
	while (pe < stop && *pe >= '0' && *pe <= '9')
		pe++;
	int64_t v;
	if (!parse_int(colon + 1, (size_t)(pe - colon - 1), &v) || v < 0)
		return false;
	*comm = intern(ps, s, (size_t)(colon - s));
	*pid = (int32_t)v;
	const char *r = stop;
	if (br) {
		r = memchr(br, ']', (size_t)(end - br));
		r = r ? r + 1 : end;
	}
	*rest = r;
	return true;
}

static bool parse_switch(struct parser *ps, const char *f, struct ev *ev)
{
	int64_t a, b;
	const char *st;
	size_t stn;
	if (kv_find(f, "prev_pid", &st, &stn)) {
		if (!kv_int(ps, f, "prev_pid", &a) || !kv_int(ps, f, "next_pid", &b) ||
		    !kv_comm(ps, f, "prev_comm", &ev->a_comm) || !kv_comm(ps, f, "next_comm", &ev->b_comm))
			return false;
		if (!kv_find(f, "prev_state", &st, &stn) || stn == 0) {
			ps->missing = "prev_state";
			return false;
		}
		ev->a_pid = (int32_t)a;
		ev->b_pid = (int32_t)b;
		ev->state = st[0];
		return true;
	}
	ps->missing = "prev_pid= (or 'PREV:PID [PRIO] STATE ==> NEXT:PID [PRIO]')";
	const char *arrow = strstr(f, " ==> "), *rest;
	if (!arrow || !plugin_task(ps, f, arrow, &ev->a_comm, &ev->a_pid, &rest) ||
	    !plugin_task(ps, arrow + 5, f + strlen(f), &ev->b_comm, &ev->b_pid, &st))
		return false;
	while (*rest == ' ')
		rest++;
	if (rest >= arrow)
		return false;
	ev->state = rest[0];
	return true;
}

static bool parse_wake(struct parser *ps, const char *f, struct ev *ev)
{
	int64_t a;
	const char *rest;
	size_t n;
	if (kv_find(f, "comm", &rest, &n) || kv_find(f, "pid", &rest, &n)) {
		if (!kv_int(ps, f, "pid", &a) || !kv_comm(ps, f, "comm", &ev->a_comm))
			return false;
		ev->a_pid = (int32_t)a;
		return true;
	}
	ps->missing = "pid= (or 'COMM:PID [PRIO]')";
	return plugin_task(ps, f, f + strlen(f), &ev->a_comm, &ev->a_pid, &rest);
}

/* The fields of a known event; false when one it needs is missing. */
static bool parse_fields(struct parser *ps, const char *f, struct ev *ev)
{
	int64_t a, b;
	switch (ev->kind) {
	case EV_SWITCH:
		return parse_switch(ps, f, ev);
	case EV_WAKING:
	case EV_WAKEUP:
	case EV_WAKEUP_NEW:
		return parse_wake(ps, f, ev);
	case EV_FORK:
		if (!kv_int(ps, f, "pid", &a) || !kv_int(ps, f, "child_pid", &b) || !kv_comm(ps, f, "comm", &ev->a_comm) ||
		    !kv_comm(ps, f, "child_comm", &ev->b_comm))
			return false;
		ev->a_pid = (int32_t)a;
		ev->b_pid = (int32_t)b;
		return true;
	case EV_EXIT:
		if (!kv_int(ps, f, "pid", &a) || !kv_comm(ps, f, "comm", &ev->a_comm))
			return false;
		ev->a_pid = (int32_t)a;
		return true;
	case EV_RUNTIME:
		if (!kv_int(ps, f, "pid", &a) || !kv_int(ps, f, "runtime", &b) || b < 0 || !kv_comm(ps, f, "comm", &ev->a_comm))
			return false;
		ev->a_pid = (int32_t)a;
		ev->runtime_ns = (uint64_t)b;
		return true;
	case EV_OTHER:
		return true;
	}
	return false;
}

static const struct {
	const char *name;
	enum ev_kind kind;
} event_names[] = {
	{"sched_switch", EV_SWITCH},
	{"sched_waking", EV_WAKING},
	{"sched_wakeup", EV_WAKEUP},
	{"sched_wakeup_new", EV_WAKEUP_NEW},
	{"sched_process_fork", EV_FORK},
	{"sched_process_exit", EV_EXIT},
	{"sched_stat_runtime", EV_RUNTIME},
};

/* "# hvsim-trace: lps=2 mhz=2096 cmd=perf bench ..." */
static void parse_header(struct parser *ps, const char *s)
{
	const char *cmd = strstr(s, " cmd=");
	int64_t v;
	if (kv_int(NULL, s, "lps", &v) && v > 0)
		ps->t->lps = (uint32_t)v;
	if (kv_int(NULL, s, "mhz", &v) && v > 0)
		ps->t->mhz = (uint32_t)v;
	if (cmd) {
		g_free(ps->t->cmd);
		ps->t->cmd = g_strstrip(g_strdup(cmd + 5));
	}
}

#define LINE_FORMAT "expected 'COMM PID [CPU] SECONDS: EVENT: FIELDS' (perf sched script output)"

/* One line into ps->evs (or nothing for blank, comment and header lines). */
static bool parse_line(struct parser *ps, char *s, uint32_t lineno, GError **error)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (*s == ' ' || *s == '\t')
		s++, n--;
	if (n == 0)
		return true;
	if (s[0] == '#') {
		if (g_str_has_prefix(s, "# hvsim-trace:"))
			parse_header(ps, s + 14);
		return true;
	}
	/* the CPU column "[NNN]", preceded by the pid (or pid/tid) */
	const char *cpu_at = NULL, *pid_at = NULL;
	for (const char *p = strchr(s, '['); p; p = strchr(p + 1, '[')) {
		const char *q = p + 1;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q == p + 1 || *q != ']' || p == s || p[-1] != ' ')
			continue;
		const char *e = p - 1;
		while (e > s && e[-1] == ' ')
			e--;
		const char *b = e;
		while (b > s && ((b[-1] >= '0' && b[-1] <= '9') || b[-1] == '/'))
			b--;
		if (b > s && b[-1] == '-' && b != e)
			b--; /* perf prints -1 for a thread it no longer knows */
		if (b == e || b == s || b[-1] != ' ')
			continue;
		cpu_at = p;
		pid_at = b;
		break;
	}
	if (!cpu_at)
		return fail(error, ps->file, lineno, LINE_FORMAT);
	struct ev ev = {.kind = EV_OTHER, .line = lineno};
	/* pid or pid/tid: the thread is the tid */
	const char *pid_end = pid_at;
	while (*pid_end != ' ')
		pid_end++;
	const char *slash = memchr(pid_at, '/', (size_t)(pid_end - pid_at));
	const char *tid = slash ? slash + 1 : pid_at;
	int64_t v;
	if (!parse_int(tid, (size_t)(pid_end - tid), &v) || v < -1)
		return fail(error, ps->file, lineno, "bad pid '%.*s'", (int)(pid_end - pid_at), pid_at);
	ev.pid = (int32_t)v;
	ev.comm = intern(ps, s, (size_t)(pid_at - s));
	const char *close = strchr(cpu_at, ']');
	if (!parse_int(cpu_at + 1, (size_t)(close - cpu_at - 1), &v) || v > 65535)
		return fail(error, ps->file, lineno, "bad CPU number '%.*s'", (int)(close - cpu_at + 1), cpu_at);
	ev.cpu = (int32_t)v;
	/* the time: the first token "DIGITS.DIGITS:" (flag columns may come before it) */
	const char *p = close + 1, *event = NULL;
	bool have_ts = false;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *e = p;
		while (*e && *e != ' ')
			e++;
		if (e == p)
			break;
		if (!have_ts) {
			have_ts = e[-1] == ':' && parse_ts(p, (size_t)(e - p - 1), &ev.ts_ns);
		} else if (e[-1] == ':') {
			event = p;
			p = e;
			break;
		}
		p = e;
	}
	if (!have_ts)
		return fail(error, ps->file, lineno, "no time stamp 'SECONDS.FRACTION:' after the CPU column");
	if (!event)
		return fail(error, ps->file, lineno, "no event name 'EVENT:' after the time stamp");
	/* "sched:sched_switch:" -> "sched_switch" */
	const char *ee = p - 1, *eb = ee;
	while (eb > event && eb[-1] != ':')
		eb--;
	size_t en = (size_t)(ee - eb);
	for (size_t i = 0; i < G_N_ELEMENTS(event_names); i++)
		if (strlen(event_names[i].name) == en && strncmp(eb, event_names[i].name, en) == 0)
			ev.kind = event_names[i].kind;
	while (*p == ' ')
		p++;
	ps->missing = "?";
	if (!parse_fields(ps, p, &ev))
		return fail(error, ps->file, lineno, "%.*s: no %s%s in '%s'", (int)en, eb, ps->missing,
			    strchr(ps->missing, '=') ? "" : "=", p);
	if ((ev.kind == EV_SWITCH && (ev.a_pid < 0 || ev.b_pid < 0)) || ev.a_pid < 0)
		return fail(error, ps->file, lineno, "%.*s: negative pid", (int)en, eb);
	if (ev.kind == EV_WAKING)
		ps->t->have_waking = true;
	if (ev.kind == EV_RUNTIME)
		ps->t->have_runtime = true;
	ps->t->events++;
	g_array_append_val(ps->evs, ev);
	return true;
}

static gint ev_cmp(gconstpointer a, gconstpointer b)
{
	const struct ev *x = a, *y = b;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* ---- pass 1: which pids are kept, from when ---- */

static struct pst *pst_get(struct parser *ps, int32_t pid, const char *comm)
{
	struct pst *p = g_hash_table_lookup(ps->by_pid, GINT_TO_POINTER(pid));
	if (!p) {
		p = g_new0(struct pst, 1);
		p->pid = pid;
		p->comm = comm;
		g_hash_table_insert(ps->by_pid, GINT_TO_POINTER(pid), p);
		g_ptr_array_add(ps->psts, p);
	}
	return p;
}

static bool filter_match(const struct parser *ps, int32_t pid, const char *comm)
{
	const struct wl_ps_filter *f = ps->filter;
	if (f && f->npids) {
		bool in = false;
		for (uint32_t i = 0; i < f->npids && !in; i++)
			in = f->pids[i] == pid;
		if (!in)
			return false;
	}
	if (!ps->globs)
		return true;
	for (char **g = ps->globs; *g; g++)
		if (g_pattern_match_simple(*g, comm))
			return true;
	return false;
}

static void mention(struct parser *ps, int32_t pid, const char *comm, uint64_t ts)
{
	if (pid <= 0)
		return;
	struct pst *p = pst_get(ps, pid, comm);
	if (!p->kept && filter_match(ps, pid, comm)) {
		p->kept = true;
		p->keep_from = p->mentions == 0 ? 0 : ts;
	}
	p->mentions++;
}

static void pass_keep(struct parser *ps)
{
	for (guint i = 0; i < ps->evs->len; i++) {
		const struct ev *e = &g_array_index(ps->evs, struct ev, i);
		mention(ps, e->pid, e->comm, e->ts_ns);
		switch (e->kind) {
		case EV_SWITCH:
		case EV_FORK:
			mention(ps, e->a_pid, e->a_comm, e->ts_ns);
			mention(ps, e->b_pid, e->b_comm, e->ts_ns);
			break;
		case EV_WAKING:
		case EV_WAKEUP:
		case EV_WAKEUP_NEW:
		case EV_EXIT:
		case EV_RUNTIME:
			mention(ps, e->a_pid, e->a_comm, e->ts_ns);
			break;
		case EV_OTHER:
			break;
		}
	}
	/* the states of pass 2 start afresh */
	for (guint i = 0; i < ps->psts->len; i++) {
		struct pst *p = ps->psts->pdata[i];
		p->st = ST_UNKNOWN;
		p->comm = NULL;
	}
}

/* ---- pass 2: the steps ---- */

#define NO_STEP UINT32_MAX /* a WAKE step whose wake ended no block (removed at the end) */

static struct wl_ps_step *push(struct pst *p, enum wl_ps_step_kind kind)
{
	struct wl_ps_step s = {.kind = kind};
	g_array_append_val(p->th->steps, s);
	return &g_array_index(p->th->steps, struct wl_ps_step, p->th->steps->len - 1);
}

static void push_run(struct pst *p, uint64_t ns)
{
	if (ns == 0)
		return;
	p->th->run_ns += ns;
	GArray *s = p->th->steps;
	if (s->len && g_array_index(s, struct wl_ps_step, s->len - 1).kind == WL_PS_RUN)
		g_array_index(s, struct wl_ps_step, s->len - 1).ns += ns;
	else
		push(p, WL_PS_RUN)->ns = ns;
}

static void iv_open(struct pst *p, uint64_t start)
{
	p->iv_start = p->iv_mark = start;
	p->iv_segs = p->iv_runtime = 0;
	p->iv_has_runtime = false;
}

static void pend_cancel(struct parser *ps, struct pst *p);

/* The run from the interval's last cut to `ts` (a wake or fork the thread makes). */
static void iv_cut(struct parser *ps, struct pst *p, uint64_t ts)
{
	pend_cancel(ps, p); /* it runs on: an early wake it had ended no block */
	uint64_t seg = ts > p->iv_mark ? ts - p->iv_mark : 0;
	p->iv_mark = ts > p->iv_mark ? ts : p->iv_mark;
	p->iv_segs += seg;
	push_run(p, seg);
}

/* The interval ends at ts: its length is its runtime sum when it has one (at most its wall time). */
static void iv_close(struct pst *p, uint64_t ts)
{
	uint64_t wall = ts > p->iv_start ? ts - p->iv_start : 0;
	uint64_t total = p->iv_has_runtime && p->iv_runtime < wall ? p->iv_runtime : wall;
	push_run(p, total > p->iv_segs ? total - p->iv_segs : 0);
}

/* The open BLOCK of p ends from outside the replay at ts: a sleep of its recorded length. */
static void block_external(struct parser *ps, struct pst *p, uint64_t ts)
{
	struct wl_ps_step *b = &g_array_index(p->th->steps, struct wl_ps_step, p->block_step);
	b->kind = WL_PS_SLEEP;
	b->ns = ts > p->block_ts ? ts - p->block_ts : 0;
	p->block_open = false;
	ps->t->sleeps++;
}

/* Joins p's open BLOCK to its waker's WAKE step `wstep` (thread `widx`). */
static void join_wake(struct parser *ps, struct pst *p, struct wl_ps_thread *wth, uint32_t widx, uint32_t wstep)
{
	struct wl_ps_step *w = &g_array_index(wth->steps, struct wl_ps_step, wstep);
	struct wl_ps_step *b = &g_array_index(p->th->steps, struct wl_ps_step, p->block_step);
	w->peer = p->idx;
	w->peer_step = p->block_step;
	b->peer = widx;
	b->peer_step = wstep;
	p->block_open = false;
	ps->t->wakes++;
}

/* p's early wake did not end a block (p went on running, was preempted, or blocked again and
   got another wake): its WAKE step, if any, is dropped. */
static void pend_cancel(struct parser *ps, struct pst *p)
{
	if (!p->pend)
		return;
	if (p->pend_th)
		g_array_index(p->pend_th->steps, struct wl_ps_step, p->pend_step).peer_step = NO_STEP;
	p->pend = false;
	ps->t->stray_wakes++;
}

/* p runs again (switched in, or seen current) with its block open and no wake seen since it
   blocked: an early wake ended it if there is one, otherwise something the trace does not show. */
static void block_unseen(struct parser *ps, struct pst *p, uint64_t ts)
{
	if (!p->pend) {
		block_external(ps, p, ts);
		return;
	}
	p->pend = false;
	if (p->pend_th)
		join_wake(ps, p, p->pend_th, p->pend_idx, p->pend_step);
	else
		block_external(ps, p, p->block_ts); /* from outside, before it even blocked */
}

/* p (kept) enters the replay at ts in whatever state it is in. */
static void enter(struct parser *ps, struct pst *p, const char *comm, uint64_t ts)
{
	struct wl_ps_thread *th = g_new0(struct wl_ps_thread, 1);
	th->pid = p->pid;
	th->comm = g_strdup(comm ? comm : "?");
	th->steps = g_array_new(FALSE, FALSE, sizeof(struct wl_ps_step));
	th->start_ns = ts;
	p->th = th;
	p->idx = ps->t->threads->len;
	g_ptr_array_add(ps->t->threads, th);
	switch (p->st) {
	case ST_ON: {
		uint64_t from = p->iv_start > p->keep_from ? p->iv_start : p->keep_from;
		th->start_ns = from;
		iv_open(p, from);
		break;
	}
	case ST_BLOCKED:
		p->block_open = true;
		p->block_step = th->steps->len;
		p->block_ts = ts;
		push(p, WL_PS_BLOCK);
		break;
	case ST_UNKNOWN:
	case ST_READY:
	case ST_DEAD:
		break;
	}
}

/* p is involved in an event at ts: it enters the replay if it is kept from then on. */
static void touch(struct parser *ps, struct pst *p, const char *comm, uint64_t ts)
{
	if (comm)
		p->comm = comm;
	if (p->kept && !p->th && p->st != ST_DEAD && ts >= p->keep_from)
		enter(ps, p, p->comm, ts);
}

/* The state of a pid; NULL for the idle task (0) and a leader perf no longer knew (-1). */
static struct pst *task(struct parser *ps, int32_t pid, const char *comm)
{
	if (pid <= 0)
		return NULL;
	return pst_get(ps, pid, comm);
}

static struct cpu_track *cpu_at(struct parser *ps, int32_t cpu)
{
	struct cpu_track fresh = {ps->first_ts, -1};
	while (ps->cpus->len <= (guint)cpu)
		g_array_append_val(ps->cpus, fresh);
	if ((uint32_t)cpu + 1 > ps->t->cpus)
		ps->t->cpus = (uint32_t)cpu + 1;
	return &g_array_index(ps->cpus, struct cpu_track, cpu);
}

/* p is current on `cpu` at ts (the leader of a line, the prev of a switch). */
static void on_cpu(struct parser *ps, struct pst *p, int32_t cpu, uint64_t ts)
{
	if (p->st == ST_ON)
		return;
	if (p->st == ST_BLOCKED && p->block_open)
		block_unseen(ps, p, ts);
	/* never seen before: current since the CPU's last switch (or the trace's start) */
	iv_open(p, p->st == ST_UNKNOWN ? cpu_at(ps, cpu)->since : ts);
	p->st = ST_ON;
}

static void ev_switch(struct parser *ps, const struct ev *e)
{
	struct cpu_track *c = cpu_at(ps, e->cpu);
	struct cpu_span sp = {e->a_pid, c->since, e->ts_ns};
	g_array_append_val(ps->spans, sp);
	c->since = e->ts_ns;
	c->curr = e->b_pid;
	struct pst *prev = task(ps, e->a_pid, e->a_comm), *next = task(ps, e->b_pid, e->b_comm);
	if (prev && prev->st != ST_DEAD) {
		if (prev->st == ST_UNKNOWN) {
			prev->st = ST_ON;
			iv_open(prev, sp.t0);
		}
		on_cpu(ps, prev, e->cpu, e->ts_ns);
		touch(ps, prev, e->a_comm, e->ts_ns);
		if (prev->th)
			iv_close(prev, e->ts_ns);
		if (e->state == 'R' || e->state == 'X' || e->state == 'Z' || e->state == 'x')
			pend_cancel(ps, prev);
		switch (e->state) {
		case 'R':
			prev->st = ST_READY;
			break;
		case 'X':
		case 'Z':
		case 'x':
			prev->st = ST_DEAD;
			if (prev->th) {
				prev->th->exited = true;
				prev->th->end_ns = e->ts_ns;
			}
			break;
		default: /* S, D, I, T, t, P, W...: it waits for something */
			prev->st = ST_BLOCKED;
			if (prev->th) {
				prev->block_open = true;
				prev->block_step = prev->th->steps->len;
				prev->block_ts = e->ts_ns;
				push(prev, WL_PS_BLOCK);
			}
			break;
		}
	}
	if (next && next->st != ST_DEAD) {
		if (next->st == ST_BLOCKED && next->block_open)
			block_unseen(ps, next, e->ts_ns);
		next->st = ST_ON;
		iv_open(next, e->ts_ns);
		touch(ps, next, e->b_comm, e->ts_ns);
	}
}

/* A wake of e->a_pid made by the line's leader (or by an interrupt it took). */
static void ev_wake(struct parser *ps, const struct ev *e)
{
	struct pst *w = task(ps, e->pid, e->comm), *t = task(ps, e->a_pid, e->a_comm);
	if (w && w->st != ST_DEAD) {
		on_cpu(ps, w, e->cpu, e->ts_ns);
		touch(ps, w, e->comm, e->ts_ns);
	}
	if (!t || t->st == ST_DEAD)
		return;
	if (t->st == ST_UNKNOWN)
		t->st = ST_BLOCKED; /* blocked since before the trace began */
	touch(ps, t, e->a_comm, e->ts_ns);
	bool kept_waker = w && w->th && w->st == ST_ON && w != t;
	if (t->st == ST_ON) {
		/* still current: it has set its sleeping state and may be switching out to block;
		   if it does, this is the wake that ends that block */
		if (!t->th)
			return;
		pend_cancel(ps, t);
		t->pend = true;
		t->pend_th = NULL;
		if (kept_waker) {
			iv_cut(ps, w, e->ts_ns);
			push(w, WL_PS_WAKE)->peer_step = NO_STEP;
			t->pend_th = w->th;
			t->pend_idx = w->idx;
			t->pend_step = w->th->steps->len - 1;
		}
		return;
	}
	if (t->st != ST_BLOCKED) {
		if (t->th)
			ps->t->stray_wakes++;
		return;
	}
	t->st = ST_READY;
	if (!t->th || !t->block_open)
		return;
	pend_cancel(ps, t);
	if (kept_waker) {
		iv_cut(ps, w, e->ts_ns);
		push(w, WL_PS_WAKE);
		join_wake(ps, t, w->th, w->idx, w->th->steps->len - 1);
	} else {
		block_external(ps, t, e->ts_ns);
	}
}

static void ev_fork(struct parser *ps, const struct ev *e)
{
	struct pst *parent = task(ps, e->a_pid, e->a_comm), *child = task(ps, e->b_pid, e->b_comm);
	if (parent && parent->st != ST_DEAD) {
		on_cpu(ps, parent, e->cpu, e->ts_ns);
		touch(ps, parent, e->a_comm, e->ts_ns);
	}
	if (!child)
		return;
	if (child->th || child->st != ST_UNKNOWN) { /* a pid used again: a new thread */
		child->th = NULL;
		child->exit_seen = false;
		child->block_open = false;
		child->pend = false;
		child->mentions = 1;
		child->kept = filter_match(ps, child->pid, e->b_comm);
		child->keep_from = 0;
	}
	bool by_parent = parent && parent->th && parent->st == ST_ON && child->kept && e->ts_ns >= child->keep_from;
	child->st = by_parent ? ST_BLOCKED : ST_READY;
	touch(ps, child, e->b_comm, e->ts_ns);
	if (!by_parent)
		return;
	iv_cut(ps, parent, e->ts_ns);
	push(parent, WL_PS_WAKE);
	join_wake(ps, child, parent->th, parent->idx, parent->th->steps->len - 1);
	ps->t->wakes--; /* counted as a fork */
	child->st = ST_READY;
	ps->t->forks++;
}

static void pass_build(struct parser *ps)
{
	bool use_wakeup = !ps->t->have_waking;
	for (guint i = 0; i < ps->evs->len; i++) {
		const struct ev *e = &g_array_index(ps->evs, struct ev, i);
		/* the leader is current on its CPU (a switch says so itself) */
		struct pst *lead = e->kind == EV_SWITCH ? NULL : task(ps, e->pid, e->comm);
		if (lead && lead->st != ST_DEAD) {
			on_cpu(ps, lead, e->cpu, e->ts_ns);
			touch(ps, lead, e->comm, e->ts_ns);
		}
		switch (e->kind) {
		case EV_SWITCH:
			ev_switch(ps, e);
			break;
		case EV_WAKING:
			ev_wake(ps, e);
			break;
		case EV_WAKEUP:
			if (use_wakeup)
				ev_wake(ps, e);
			break;
		case EV_WAKEUP_NEW: {
			struct pst *c = task(ps, e->a_pid, e->a_comm);
			if (c && c->st == ST_UNKNOWN)
				c->st = ST_READY;
			break;
		}
		case EV_FORK:
			ev_fork(ps, e);
			break;
		case EV_EXIT: {
			struct pst *x = task(ps, e->a_pid, e->a_comm);
			if (x)
				x->exit_seen = true;
			break;
		}
		case EV_RUNTIME: {
			struct pst *r = task(ps, e->a_pid, e->a_comm);
			if (r && r->st == ST_ON && r->th && e->ts_ns > r->iv_start) {
				r->iv_runtime += e->runtime_ns;
				r->iv_has_runtime = true;
			}
			break;
		}
		case EV_OTHER:
			break;
		}
	}
	/* the trace ends: what is still open ends with it */
	for (guint i = 0; i < ps->psts->len; i++) {
		struct pst *p = ps->psts->pdata[i];
		if (!p->th || p->st == ST_DEAD)
			continue;
		p->th->exited = p->exit_seen;
		p->th->end_ns = ps->last_ts;
		if (p->st == ST_BLOCKED && p->block_open && p->pend)
			block_unseen(ps, p, ps->last_ts); /* woken early: it ends runnable */
		if (p->st == ST_ON) {
			pend_cancel(ps, p);
			iv_close(p, ps->last_ts);
		} else if (p->st == ST_BLOCKED && p->block_open) {
			g_array_set_size(p->th->steps, p->block_step); /* never woken: it ends where it blocked */
			p->block_open = false;
			p->th->end_ns = p->block_ts;
		}
	}
	/* each CPU's current task since its last switch */
	for (guint i = 0; i < ps->cpus->len; i++) {
		const struct cpu_track *c = &g_array_index(ps->cpus, struct cpu_track, i);
		struct cpu_span sp = {c->curr, c->since, ps->last_ts};
		if (c->curr >= 0)
			g_array_append_val(ps->spans, sp);
	}
}

/* Drops the WAKE steps whose wake ended no block, merges the runs they separated, and renumbers
   the steps that point at each other. */
static void compact(struct wl_ps_trace *t)
{
	uint32_t n = t->threads->len;
	uint32_t **map = g_new(uint32_t *, n);
	for (uint32_t i = 0; i < n; i++) {
		struct wl_ps_thread *th = t->threads->pdata[i];
		GArray *in = th->steps, *out = g_array_sized_new(FALSE, FALSE, sizeof(struct wl_ps_step), in->len);
		map[i] = g_new(uint32_t, in->len ? in->len : 1);
		for (guint j = 0; j < in->len; j++) {
			struct wl_ps_step st = g_array_index(in, struct wl_ps_step, j);
			struct wl_ps_step *last = out->len ? &g_array_index(out, struct wl_ps_step, out->len - 1) : NULL;
			if (st.kind == WL_PS_WAKE && st.peer_step == NO_STEP) {
				map[i][j] = NO_STEP;
			} else if (st.kind == WL_PS_RUN && last && last->kind == WL_PS_RUN) {
				last->ns += st.ns;
				map[i][j] = out->len - 1;
			} else {
				map[i][j] = out->len;
				g_array_append_val(out, st);
			}
		}
		g_array_free(in, TRUE);
		th->steps = out;
	}
	for (uint32_t i = 0; i < n; i++) {
		GArray *s = ((struct wl_ps_thread *)t->threads->pdata[i])->steps;
		for (guint j = 0; j < s->len; j++) {
			struct wl_ps_step *st = &g_array_index(s, struct wl_ps_step, j);
			if (st->kind == WL_PS_WAKE || st->kind == WL_PS_BLOCK)
				st->peer_step = map[st->peer][st->peer_step];
		}
	}
	for (uint32_t i = 0; i < n; i++)
		g_free(map[i]);
	g_free(map);
}

/* Sets the origin, relative times, and the recording machine's CPU time during the makespan. */
static void finish(struct parser *ps)
{
	struct wl_ps_trace *t = ps->t;
	compact(t);
	uint64_t origin = UINT64_MAX, end = 0;
	for (guint i = 0; i < t->threads->len; i++) {
		const struct wl_ps_thread *th = t->threads->pdata[i];
		origin = th->start_ns < origin ? th->start_ns : origin;
		end = th->end_ns > end ? th->end_ns : end;
	}
	t->origin_ns = origin;
	t->makespan_ns = end > origin ? end - origin : 0;
	for (guint i = 0; i < t->threads->len; i++) {
		struct wl_ps_thread *th = t->threads->pdata[i];
		th->start_ns -= origin;
		th->end_ns = th->end_ns > origin ? th->end_ns - origin : 0;
		t->run_ns += th->run_ns;
	}
	for (guint i = 0; i < ps->spans->len; i++) {
		const struct cpu_span *sp = &g_array_index(ps->spans, struct cpu_span, i);
		uint64_t a = sp->t0 > origin ? sp->t0 : origin, b = sp->t1 < end ? sp->t1 : end;
		if (a >= b)
			continue;
		if (sp->pid == 0) {
			t->cpu_idle_ns += b - a;
			continue;
		}
		const struct pst *p = g_hash_table_lookup(ps->by_pid, GINT_TO_POINTER(sp->pid));
		uint64_t k = p && p->th ? (p->keep_from > a ? p->keep_from : a) : b;
		k = k < b ? k : b;
		t->cpu_kept_ns += b - k;
		t->cpu_other_ns += k - a;
	}
}

static bool build(struct parser *ps, GError **error)
{
	struct wl_ps_trace *t = ps->t;
	if (ps->evs->len == 0)
		return fail(error, ps->file, 0, "no events (is it the output of `perf sched script`?)");
	g_array_sort(ps->evs, ev_cmp);
	ps->first_ts = g_array_index(ps->evs, struct ev, 0).ts_ns;
	ps->last_ts = g_array_index(ps->evs, struct ev, ps->evs->len - 1).ts_ns;
	bool switches = false;
	for (guint i = 0; i < ps->evs->len && !switches; i++)
		switches = g_array_index(ps->evs, struct ev, i).kind == EV_SWITCH;
	if (!switches)
		return fail(error, ps->file, 0, "no sched_switch events (record with `perf sched record`)");
	pass_keep(ps);
	pass_build(ps);
	if (t->threads->len == 0) {
		/* name a few of the comms there are, in order of appearance */
		GPtrArray *names = g_ptr_array_new();
		for (guint i = 0; i < ps->psts->len && names->len < 10; i++) {
			const char *c = ((const struct pst *)ps->psts->pdata[i])->comm;
			if (c && !g_ptr_array_find_with_equal_func(names, c, g_str_equal, NULL))
				g_ptr_array_add(names, (gpointer)c);
		}
		bool more = names->len == 10;
		g_ptr_array_add(names, NULL);
		char *seen = g_strjoinv(", ", (char **)names->pdata);
		bool r = fail(error, ps->file, 0, "no thread matches comm '%s'%s (the trace has %s%s)",
			      ps->filter && ps->filter->comm ? ps->filter->comm : "*",
			      ps->filter && ps->filter->npids ? " and the pids asked" : "", seen, more ? ", ..." : "");
		g_free(seen);
		g_ptr_array_free(names, TRUE);
		return r;
	}
	finish(ps);
	return true;
}

struct wl_ps_trace *wl_ps_trace_parse(const char *text, size_t len, const char *file,
				      const struct wl_ps_filter *filter, GError **error)
{
	struct parser ps = {.file = file, .filter = filter};
	ps.t = g_new0(struct wl_ps_trace, 1);
	ps.t->file = g_strdup(file);
	ps.t->threads = g_ptr_array_new();
	if (filter && filter->comm && filter->comm[0] && strcmp(filter->comm, "*") != 0) {
		ps.globs = g_strsplit(filter->comm, ",", -1);
		for (char **g = ps.globs; *g; g++)
			g_strstrip(*g);
	}
	ps.strings = g_string_chunk_new(4096);
	ps.evs = g_array_new(FALSE, FALSE, sizeof(struct ev));
	ps.by_pid = g_hash_table_new(g_direct_hash, g_direct_equal);
	ps.psts = g_ptr_array_new_with_free_func(g_free);
	ps.cpus = g_array_new(FALSE, FALSE, sizeof(struct cpu_track));
	ps.spans = g_array_new(FALSE, FALSE, sizeof(struct cpu_span));
	bool ok = true;
	uint32_t lineno = 0;
	for (size_t at = 0; at < len && ok;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		char *line = g_strndup(text + at, n);
		lineno++;
		if (strlen(line) != n)
			ok = fail(error, file, lineno, "a NUL byte: not a text file");
		else
			ok = parse_line(&ps, line, lineno, error);
		g_free(line);
		at += n + 1;
	}
	ps.t->lines = lineno;
	ok = ok && build(&ps, error);
	g_strfreev(ps.globs);
	g_string_chunk_free(ps.strings);
	g_array_free(ps.evs, TRUE);
	g_hash_table_destroy(ps.by_pid);
	g_ptr_array_free(ps.psts, TRUE);
	g_array_free(ps.cpus, TRUE);
	g_array_free(ps.spans, TRUE);
	if (!ok) {
		wl_ps_trace_free(ps.t);
		return NULL;
	}
	/* thread comms were interned in the chunk just freed: enter() copied them */
	return ps.t;
}

struct wl_ps_trace *wl_ps_trace_load(const char *path, const struct wl_ps_filter *filter, GError **error)
{
	char *text = NULL;
	gsize len = 0;
	GError *e = NULL;
	if (!g_file_get_contents(path, &text, &len, &e)) {
		g_set_error(error, WL_ERROR, 0, "%s: cannot read the trace: %s", path, e->message);
		g_error_free(e);
		return NULL;
	}
	struct wl_ps_trace *t = wl_ps_trace_parse(text, len, path, filter, error);
	g_free(text);
	return t;
}

void wl_ps_trace_free(struct wl_ps_trace *t)
{
	if (!t)
		return;
	for (guint i = 0; t->threads && i < t->threads->len; i++) {
		struct wl_ps_thread *th = t->threads->pdata[i];
		g_free(th->comm);
		g_array_free(th->steps, TRUE);
		g_free(th);
	}
	if (t->threads)
		g_ptr_array_free(t->threads, TRUE);
	g_free(t->file);
	g_free(t->cmd);
	g_free(t);
}
