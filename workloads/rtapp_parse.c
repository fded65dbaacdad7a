/* SPDX-License-Identifier: MIT */
/*
 * rtapp_parse.c - reads an rt-app description into struct rtapp_model (rtapp.h): the grammar of
 *                 rt-app's doc/tutorial.txt, with the details its parser (src/rt-app_parse_config.c)
 *                 settles: event keys are a name plus a suffix for repeats ("run0", "sleep_b"),
 *                 resources are created by naming them, a task without "phases" is one phase whose
 *                 "loop" counts its passes, timers named "unique..." belong to one instance.
 * Strictness: rt-app skips keys it does not know; here every key is either used, accepted and
 *       ignored for a stated reason (logging, calibration: rt-app's host side), or refused with a
 *       message naming its path and why hvsim cannot honour it (RT/deadline policies, cgroups,
 *       uclamp, fork, a per-phase affinity or nice change).
 * Checks: a walk over each task's events (two passes of every loop reach the fixed point of its
 *       mutex state) refuses locking a held mutex, unlocking or waiting without it, and ending
 *       with one held: in rt-app each of these deadlocks or is undefined.
 * See: docs/rt-app.md; tests/unit/wl/test_rtapp.c
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "workloads/rtapp.h"
#include "workloads/wl-int.h"

#define US_MAX INT32_MAX /* rt-app reads durations and sizes as C ints */

static const struct {
	const char *name;
	enum rtapp_ev_kind kind;
} event_names[] = {
	/* "runtime" before "run": the longer name wins */
	{"runtime", RTAPP_EV_RUNTIME}, {"run", RTAPP_EV_RUN},         {"sleep", RTAPP_EV_SLEEP},
	{"timer", RTAPP_EV_TIMER},     {"lock", RTAPP_EV_LOCK},       {"unlock", RTAPP_EV_UNLOCK},
	{"wait", RTAPP_EV_WAIT},       {"signal", RTAPP_EV_SIGNAL},   {"broad", RTAPP_EV_BROAD},
	{"sync", RTAPP_EV_SYNC},       {"barrier", RTAPP_EV_BARRIER}, {"suspend", RTAPP_EV_SUSPEND},
	{"resume", RTAPP_EV_RESUME},   {"yield", RTAPP_EV_YIELD},     {"iorun", RTAPP_EV_IORUN},
	{"mem", RTAPP_EV_MEM},
};
#define SUPPORTED_EVENTS                                                                                \
	"run, runtime, sleep, timer, lock, unlock, wait, signal, broad, sync, barrier, suspend, resume, " \
	"yield, iorun, mem"

const char *rtapp_ev_name(enum rtapp_ev_kind k)
{
	static const char *const names[RTAPP_NEV_KINDS] = {
		[RTAPP_EV_RUN] = "run",         [RTAPP_EV_RUNTIME] = "runtime", [RTAPP_EV_SLEEP] = "sleep",
		[RTAPP_EV_TIMER] = "timer",     [RTAPP_EV_LOCK] = "lock",       [RTAPP_EV_UNLOCK] = "unlock",
		[RTAPP_EV_WAIT] = "wait",       [RTAPP_EV_SIGNAL] = "signal",   [RTAPP_EV_BROAD] = "broad",
		[RTAPP_EV_SYNC] = "sync",       [RTAPP_EV_BARRIER] = "barrier", [RTAPP_EV_SUSPEND] = "suspend",
		[RTAPP_EV_RESUME] = "resume",   [RTAPP_EV_YIELD] = "yield",     [RTAPP_EV_IORUN] = "iorun",
		[RTAPP_EV_MEM] = "mem",
	};
	return (unsigned)k < RTAPP_NEV_KINDS ? names[k] : "?";
}

/* Keys rt-app knows that hvsim refuses, and why (task and phase level alike). */
static const struct {
	const char *key, *why;
} refused_keys[] = {
	{"fork", "fork is not supported: hvsim creates every task when the run starts (use instance and delay)"},
	{"taskgroup", "taskgroups (cgroups) are not modelled by hvsim's guest kernel"},
	{"util_min", "utilization clamping is not modelled (the guest has no frequency scaling or capacity-aware placement)"},
	{"util_max", "utilization clamping is not modelled (the guest has no frequency scaling or capacity-aware placement)"},
	{"nodes_membind", "NUMA memory binding of a task is not modelled (the VM's memory placement is the host's)"},
	{"membind_nodes", "NUMA memory binding of a task is not modelled (the VM's memory placement is the host's)"},
	{"dl-runtime", "SCHED_DEADLINE is not modelled: hvsim's guest kernel has only the fair scheduler"},
	{"dl-period", "SCHED_DEADLINE is not modelled: hvsim's guest kernel has only the fair scheduler"},
	{"dl-deadline", "SCHED_DEADLINE is not modelled: hvsim's guest kernel has only the fair scheduler"},
	{"period", "the legacy SCHED_DEADLINE key 'period' is not supported (and SCHED_DEADLINE is not modelled)"},
	{"deadline", "the legacy SCHED_DEADLINE key 'deadline' is not supported (and SCHED_DEADLINE is not modelled)"},
	{"lock_order", "the legacy resource grammar (lock_order) is not supported: use lock and unlock events"},
	{"resources", "the legacy per-task resource grammar is not supported: use lock and unlock events"},
};

/* Every key name, for "did you mean" (param_suggest reads only the names). */
static const struct param known_keys[] = {
	{.name = "run"},     {.name = "runtime"}, {.name = "sleep"},    {.name = "timer"},   {.name = "lock"},
	{.name = "unlock"},  {.name = "wait"},    {.name = "signal"},   {.name = "broad"},   {.name = "sync"},
	{.name = "barrier"}, {.name = "suspend"}, {.name = "resume"},   {.name = "yield"},   {.name = "iorun"},
	{.name = "mem"},     {.name = "loop"},    {.name = "cpus"},     {.name = "policy"},  {.name = "priority"},
	{.name = "phases"},  {.name = "instance"}, {.name = "delay"},   {.name = "working_set"}, {0},
};

struct parser {
	const char *origin;
	GError **error;
	GPtrArray *mutexes, *conds; /* char * names */
	GArray *timers;             /* struct rtapp_timer */
	GArray *barriers;           /* struct rtapp_barrier */
	uint32_t ntask;             /* the task being parsed */
	bool *uses_barrier;         /* by the task being parsed (nbarriers_cap entries) */
	uint32_t uses_cap;
	const char *io_path;
};

static bool G_GNUC_PRINTF(3, 4) fail(struct parser *p, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(p->error, WL_ERROR, 0, "%s: %s: %s", p->origin, path[0] ? path : "/", msg);
	g_free(msg);
	return false;
}

/* The JSON text of v, for messages (g_malloc'd). */
static char *json_text(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);
	char *out = g_strdup(s ? s : "?");
	cJSON_free(s);
	return out;
}

static bool read_int(struct parser *p, const cJSON *v, const char *path, int64_t min, int64_t max, int64_t *out)
{
	if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && v->valuedouble >= (double)min &&
	    v->valuedouble <= (double)max) {
		*out = (int64_t)v->valuedouble;
		return true;
	}
	char *s = json_text(v);
	fail(p, path, "expected an integer in %" PRId64 "..%" PRId64 ", got %s", min, max, s);
	g_free(s);
	return false;
}

/*
 * hvsim's working_set key of a phase (or of a task: the default of its phases): a size such as
 * "512MiB" or integer bytes. Absent: *given stays false.
 */
static bool read_working_set(struct parser *p, const cJSON *v, const char *path, uint64_t *out, bool *given)
{
	if (!v)
		return true;
	char *cp = param_pointer_child(path, "working_set");
	bool ok = param_parse_bytes(v, out) && *out <= UINT64_C(1200000000000000);
	if (!ok) {
		char *s = json_text(v);
		fail(p, cp, "expected a size such as \"512MiB\" or integer bytes (at most 1.2e15), got %s", s);
		g_free(s);
	}
	g_free(cp);
	*given = ok;
	return ok;
}

static bool read_string(struct parser *p, const cJSON *v, const char *path, const char **out)
{
	if (cJSON_IsString(v)) {
		*out = v->valuestring;
		return true;
	}
	char *s = json_text(v);
	fail(p, path, "expected a string, got %s", s);
	g_free(s);
	return false;
}

static bool read_bool(struct parser *p, const cJSON *v, const char *path)
{
	if (cJSON_IsBool(v))
		return true;
	char *s = json_text(v);
	fail(p, path, "expected true or false, got %s", s);
	g_free(s);
	return false;
}

static int32_t name_index(GPtrArray *names, const char *name)
{
	for (guint i = 0; i < names->len; i++)
		if (strcmp(names->pdata[i], name) == 0)
			return (int32_t)i;
	g_ptr_array_add(names, g_strdup(name));
	return (int32_t)names->len - 1;
}

static int32_t timer_index(struct parser *p, const char *name, bool unique)
{
	int32_t task = unique ? (int32_t)p->ntask : -1;
	for (guint i = 0; i < p->timers->len; i++) {
		const struct rtapp_timer *t = &g_array_index(p->timers, struct rtapp_timer, i);
		if (t->task == task && strcmp(t->name, name) == 0)
			return (int32_t)i;
	}
	struct rtapp_timer t = {.name = g_strdup(name), .task = task};
	g_array_append_val(p->timers, t);
	return (int32_t)p->timers->len - 1;
}

static int32_t barrier_index(struct parser *p, const char *name)
{
	guint i = 0;
	while (i < p->barriers->len && strcmp(g_array_index(p->barriers, struct rtapp_barrier, i).name, name) != 0)
		i++;
	if (i == p->barriers->len) {
		struct rtapp_barrier b = {.name = g_strdup(name)};
		g_array_append_val(p->barriers, b);
	}
	if (i >= p->uses_cap) {
		uint32_t cap = MAX(2 * p->uses_cap, i + 8);
		p->uses_barrier = g_renew(bool, p->uses_barrier, cap);
		memset(p->uses_barrier + p->uses_cap, 0, (cap - p->uses_cap) * sizeof(bool));
		p->uses_cap = cap;
	}
	p->uses_barrier[i] = true;
	return (int32_t)i;
}

/* The event named by `key` ("run0" is run; "runtime" is not run), or -1. */
static int event_kind(const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(event_names); i++) {
		size_t n = strlen(event_names[i].name);
		if (strncmp(key, event_names[i].name, n) == 0 && !g_ascii_isalpha(key[n]))
			return (int)event_names[i].kind;
	}
	return -1;
}

static const char *refused_why(const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(refused_keys); i++) {
		size_t n = strlen(refused_keys[i].key);
		/* fork is an event: "fork0" too */
		if (strcmp(key, refused_keys[i].key) == 0 ||
		    (strcmp(refused_keys[i].key, "fork") == 0 && strncmp(key, "fork", n) == 0 && !g_ascii_isalpha(key[n])))
			return refused_keys[i].why;
	}
	return NULL;
}

static bool unknown_key(struct parser *p, const char *path, const char *key, const char *keys)
{
	const char *hint = strlen(key) >= 4 ? param_suggest(known_keys, key) : NULL; /* "foo" is not a typo of "loop" */
	if (hint)
		return fail(p, path, "unknown event '%s' - did you mean '%s'? (supported events: %s; keys: %s)", key, hint,
			    SUPPORTED_EVENTS, keys);
	return fail(p, path, "unknown event '%s' (supported events: %s; keys: %s)", key, SUPPORTED_EVENTS, keys);
}

/* An object {"ref": ..., "mutex": ...} (wait, sync): both default to "unknown", as in rt-app. */
static bool parse_cond_object(struct parser *p, const cJSON *v, const char *path, struct rtapp_event *ev)
{
	if (!cJSON_IsObject(v))
		return fail(p, path, "expected an object {\"ref\": CONDITION, \"mutex\": MUTEX}");
	const char *ref = "unknown", *mutex = "unknown";
	for (const cJSON *c = v->child; c; c = c->next) {
		char *cp = param_pointer_child(path, c->string);
		bool ok;
		if (strcmp(c->string, "ref") == 0)
			ok = read_string(p, c, cp, &ref);
		else if (strcmp(c->string, "mutex") == 0)
			ok = read_string(p, c, cp, &mutex);
		else
			ok = fail(p, cp, "unknown key '%s' (a %s takes ref and mutex)", c->string, rtapp_ev_name(ev->kind));
		g_free(cp);
		if (!ok)
			return false;
	}
	ev->res = name_index(p->conds, ref);
	ev->dep = name_index(p->mutexes, mutex);
	return true;
}

/* {"ref": NAME, "period": US, "mode": "relative"|"absolute"}; defaults "unknown", 0, relative. */
static bool parse_timer(struct parser *p, const cJSON *v, const char *path, struct rtapp_event *ev)
{
	if (!cJSON_IsObject(v))
		return fail(p, path, "expected an object {\"ref\": NAME, \"period\": MICROSECONDS, \"mode\": ...}");
	const char *ref = "unknown", *mode = "relative";
	for (const cJSON *c = v->child; c; c = c->next) {
		char *cp = param_pointer_child(path, c->string);
		bool ok;
		if (strcmp(c->string, "ref") == 0) {
			ok = read_string(p, c, cp, &ref);
		} else if (strcmp(c->string, "period") == 0) {
			ok = read_int(p, c, cp, 0, US_MAX, &ev->value);
		} else if (strcmp(c->string, "mode") == 0) {
			ok = read_string(p, c, cp, &mode);
			if (ok && strcmp(mode, "relative") != 0 && strcmp(mode, "absolute") != 0)
				ok = fail(p, cp, "expected \"relative\" or \"absolute\", got \"%s\"", mode);
		} else {
			ok = fail(p, cp, "unknown key '%s' (a timer takes ref, period and mode)", c->string);
		}
		g_free(cp);
		if (!ok)
			return false;
	}
	ev->res = timer_index(p, ref, strncmp(ref, "unique", 6) == 0);
	if (strcmp(mode, "absolute") == 0)
		g_array_index(p->timers, struct rtapp_timer, ev->res).absolute = true; /* rt-app: sticky */
	return true;
}

static bool parse_event(struct parser *p, const char *task, enum rtapp_ev_kind kind, const cJSON *v, const char *path,
			struct rtapp_event *ev)
{
	*ev = (struct rtapp_event){.kind = kind, .path = g_strdup(path), .res = -1, .dep = -1};
	const char *name = NULL;
	switch (kind) {
	case RTAPP_EV_RUN:
	case RTAPP_EV_RUNTIME:
	case RTAPP_EV_SLEEP:
	case RTAPP_EV_MEM:
	case RTAPP_EV_IORUN:
		if (kind == RTAPP_EV_IORUN && !p->io_path)
			p->io_path = ev->path;
		return read_int(p, v, path, 0, US_MAX, &ev->value);
	case RTAPP_EV_TIMER:
		return parse_timer(p, v, path, ev);
	case RTAPP_EV_WAIT:
	case RTAPP_EV_SYNC:
		return parse_cond_object(p, v, path, ev);
	case RTAPP_EV_LOCK:
	case RTAPP_EV_UNLOCK:
		if (!read_string(p, v, path, &name))
			return false;
		ev->res = name_index(p->mutexes, name);
		return true;
	case RTAPP_EV_SIGNAL:
	case RTAPP_EV_BROAD:
		if (!read_string(p, v, path, &name))
			return false;
		ev->res = name_index(p->conds, name);
		return true;
	case RTAPP_EV_BARRIER:
		if (!read_string(p, v, path, &name))
			return false;
		ev->res = barrier_index(p, name);
		return true;
	case RTAPP_EV_SUSPEND:
	case RTAPP_EV_RESUME:
		if (!read_string(p, v, path, &name))
			return false;
		if (!name[0] && kind == RTAPP_EV_RESUME)
			return fail(p, path, "resume names the task (suspend name) to wake; it is empty");
		if (!name[0])
			name = task; /* workgen fills an empty suspend with the task's name */
		ev->res = name_index(p->conds, name);
		ev->dep = name_index(p->mutexes, name);
		return true;
	case RTAPP_EV_YIELD:
		return true; /* the value is ignored, as by rt-app */
	case RTAPP_NEV_KINDS:
		break;
	}
	g_assert_not_reached();
}

/* ---- scheduling: SCHED_OTHER and its nice ---- */

static bool check_policy(struct parser *p, const cJSON *v, const char *path)
{
	const char *s;
	if (!read_string(p, v, path, &s))
		return false;
	if (strcmp(s, "SCHED_OTHER") == 0)
		return true;
	if (strcmp(s, "SCHED_FIFO") == 0 || strcmp(s, "SCHED_RR") == 0 || strcmp(s, "SCHED_DEADLINE") == 0 ||
	    strcmp(s, "SCHED_IDLE") == 0)
		return fail(p, path, "policy %s is not modelled: hvsim's guest kernel has only the fair scheduler "
				     "(SCHED_OTHER, with priority as nice)", s);
	return fail(p, path, "unknown policy '%s' (rt-app's: SCHED_OTHER, SCHED_IDLE, SCHED_RR, SCHED_FIFO, SCHED_DEADLINE)", s);
}

/* A cpus array: vCPU numbers, sorted and deduplicated into *out. */
static bool read_cpus(struct parser *p, const cJSON *v, const char *path, GArray **out)
{
	if (!cJSON_IsArray(v) || !v->child)
		return fail(p, path, "expected a non-empty array of vCPU numbers");
	GArray *a = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	int i = 0;
	for (const cJSON *c = v->child; c; c = c->next, i++) {
		char idx[16];
		snprintf(idx, sizeof idx, "%d", i);
		char *cp = param_pointer_child(path, idx);
		int64_t cpu;
		bool ok = read_int(p, c, cp, 0, 4095, &cpu);
		g_free(cp);
		if (!ok) {
			g_array_free(a, TRUE);
			return false;
		}
		guint j = 0;
		while (j < a->len && g_array_index(a, uint32_t, j) < (uint32_t)cpu)
			j++;
		if (j == a->len || g_array_index(a, uint32_t, j) != (uint32_t)cpu) {
			uint32_t c32 = (uint32_t)cpu;
			g_array_insert_val(a, j, c32);
		}
	}
	*out = a;
	return true;
}

static bool same_cpus(const GArray *a, const GArray *b)
{
	if (!a || !b)
		return a == b;
	return a->len == b->len && memcmp(a->data, b->data, a->len * sizeof(uint32_t)) == 0;
}

static char *cpus_text(const GArray *a)
{
	if (!a)
		return g_strdup("all vCPUs");
	GString *s = g_string_new("[");
	for (guint i = 0; i < a->len; i++)
		g_string_append_printf(s, "%s%u", i ? ", " : "", g_array_index(a, uint32_t, i));
	g_string_append_c(s, ']');
	return g_string_free(s, FALSE);
}

/* ---- phases and tasks ---- */

/* What a task or phase object says besides its events. */
struct props {
	const cJSON *loop, *cpus, *policy, *priority;
	const cJSON *working_set;               /* hvsim's extension: memory the phase commits */
	const cJSON *instance, *delay, *phases; /* tasks only */
	const char *loop_key;                   /* for messages */
};

/*
 * Sorts the keys of a task or phase object: properties into pr, events counted; refuses unknown
 * keys, refused keys, duplicates and (is_task false) task keys in a phase.
 */
static bool classify(struct parser *p, const cJSON *obj, const char *path, bool is_task, struct props *pr,
		     uint32_t *nevents, const char **first_event)
{
	*pr = (struct props){0};
	*nevents = 0;
	*first_event = NULL;
	for (const cJSON *c = obj->child; c; c = c->next) {
		char *cp = param_pointer_child(path, c->string);
		const char *k = c->string;
		const cJSON **slot = NULL;
		bool ok = true;
		if (refused_why(k)) { /* first: "lock_order" is not a lock event */
			ok = fail(p, cp, "%s", refused_why(k));
		} else if (event_kind(k) >= 0) {
			if (!*first_event)
				*first_event = k;
			(*nevents)++;
		} else if (strcmp(k, "loop") == 0) {
			slot = &pr->loop;
		} else if (strcmp(k, "cpus") == 0) {
			slot = &pr->cpus;
		} else if (strcmp(k, "policy") == 0) {
			slot = &pr->policy;
		} else if (strcmp(k, "priority") == 0) {
			slot = &pr->priority;
		} else if (strcmp(k, "working_set") == 0) {
			slot = &pr->working_set;
		} else if (strcmp(k, "instance") == 0 || strcmp(k, "delay") == 0 || strcmp(k, "phases") == 0) {
			if (!is_task)
				ok = fail(p, cp, "'%s' is a key of a task, not of a phase", k);
			else
				slot = k[0] == 'i' ? &pr->instance : k[0] == 'd' ? &pr->delay : &pr->phases;
		} else {
			ok = unknown_key(p, cp, k, is_task ? "instance, delay, loop, phases, cpus, policy, priority, working_set"
							   : "loop, cpus, policy, priority, working_set");
		}
		if (ok && slot) {
			if (*slot)
				ok = fail(p, cp, "'%s' is given twice", k);
			*slot = c;
		}
		g_free(cp);
		if (!ok)
			return false;
	}
	return true;
}

/* The events of a phase (or of a task without phases), in the object's key order. */
static bool parse_events(struct parser *p, const char *task, const cJSON *obj, const char *path, uint32_t nevents,
			 struct rtapp_phase *ph)
{
	ph->events = g_new0(struct rtapp_event, nevents);
	for (const cJSON *c = obj->child; c; c = c->next) {
		int kind = event_kind(c->string);
		if (kind < 0)
			continue;
		char *cp = param_pointer_child(path, c->string);
		bool ok = parse_event(p, task, (enum rtapp_ev_kind)kind, c, cp, &ph->events[ph->nevents++]);
		g_free(cp);
		if (!ok)
			return false;
	}
	return true;
}

/*
 * The nice a set of scheduling keys asks for: priority, or 0 when only a policy is given (rt-app
 * resets the nice with the policy); *given false when neither is there.
 */
static bool sched_nice(struct parser *p, const struct props *pr, const char *path, int *nice, bool *given)
{
	*given = false;
	if (pr->policy) {
		char *cp = param_pointer_child(path, "policy");
		bool ok = check_policy(p, pr->policy, cp);
		g_free(cp);
		if (!ok)
			return false;
		*nice = 0;
		*given = true;
	}
	if (pr->priority) {
		char *cp = param_pointer_child(path, "priority");
		int64_t v;
		bool ok = read_int(p, pr->priority, cp, -20, 19, &v);
		g_free(cp);
		if (!ok)
			return false;
		*nice = (int)v;
		*given = true;
	}
	return true;
}

/* Effective state of one task while its phases are read: affinity and nice must not change. */
struct task_ctx {
	GArray *task_cpus;   /* the task's own cpus, or NULL */
	GArray *cpus;        /* effective affinity of the first phase */
	char *cpus_path;
	int nice;            /* effective nice, once fixed */
	bool nice_fixed;
};

static bool parse_phase(struct parser *p, const char *task, const cJSON *obj, const char *path, struct task_ctx *tc,
			uint32_t index, struct rtapp_phase *ph)
{
	if (!cJSON_IsObject(obj))
		return fail(p, path, "a phase is an object of events");
	struct props pr;
	uint32_t nevents;
	const char *first;
	if (!classify(p, obj, path, false, &pr, &nevents, &first))
		return false;
	if (nevents == 0)
		return fail(p, path, "the phase has no events (supported: %s)", SUPPORTED_EVENTS);
	ph->loop = 1;
	if (pr.loop) {
		char *cp = param_pointer_child(path, "loop");
		bool ok = read_int(p, pr.loop, cp, -1, INT32_MAX, &ph->loop);
		if (ok && ph->loop == 0)
			ok = fail(p, cp, "a phase's loop is -1 (for ever) or at least 1, got 0");
		g_free(cp);
		if (!ok)
			return false;
	}
	if (!read_working_set(p, pr.working_set, path, &ph->working_set, &ph->has_working_set))
		return false;
	/* affinity: the phase's cpus, else the task's (rt-app sets it again at every phase) */
	GArray *own = NULL;
	if (pr.cpus) {
		char *cp = param_pointer_child(path, "cpus");
		bool ok = read_cpus(p, pr.cpus, cp, &own);
		if (ok && index == 0) {
			g_free(tc->cpus_path);
			tc->cpus_path = g_strdup(cp);
		}
		g_free(cp);
		if (!ok)
			return false;
	}
	GArray *eff = own ? own : tc->task_cpus;
	if (index == 0) {
		tc->cpus = eff ? g_array_copy(eff) : NULL;
	} else if (!same_cpus(eff, tc->cpus)) {
		char *a = cpus_text(tc->cpus), *b = cpus_text(eff);
		fail(p, path, "the phase runs on %s, the first phase on %s: hvsim's guest kernel sets a task's "
			      "affinity once, when the task is created (give every phase the same cpus)", b, a);
		g_free(a);
		g_free(b);
		if (own)
			g_array_free(own, TRUE);
		return false;
	}
	if (own)
		g_array_free(own, TRUE);
	/* nice: sticky from the phase that sets it on */
	int nice;
	bool given;
	if (!sched_nice(p, &pr, path, &nice, &given))
		return false;
	if (given && index == 0) {
		tc->nice = nice;
	} else if (given && nice != tc->nice) {
		return fail(p, path, "the phase changes the task's nice from %d to %d: hvsim's guest kernel sets a "
				     "task's nice once, when the task is created", tc->nice, nice);
	}
	return parse_events(p, task, obj, path, nevents, ph);
}

/* ---- the mutex walk ---- */

static bool walk_event(struct parser *p, const struct rtapp_event *ev, bool *held)
{
	const char *m;
	switch (ev->kind) {
	case RTAPP_EV_LOCK:
		m = p->mutexes->pdata[ev->res];
		if (held[ev->res])
			return fail(p, ev->path, "locks mutex '%s', which this task already holds (it would wait for itself)", m);
		held[ev->res] = true;
		return true;
	case RTAPP_EV_UNLOCK:
		m = p->mutexes->pdata[ev->res];
		if (!held[ev->res])
			return fail(p, ev->path, "unlocks mutex '%s', which this task does not hold", m);
		held[ev->res] = false;
		return true;
	case RTAPP_EV_WAIT:
	case RTAPP_EV_SYNC:
		m = p->mutexes->pdata[ev->dep];
		if (!held[ev->dep])
			return fail(p, ev->path, "waits with mutex '%s', which this task does not hold (pthread_cond_wait "
					       "needs it locked: add a lock event before)", m);
		return true;
	case RTAPP_EV_SUSPEND:
	case RTAPP_EV_RESUME:
		m = p->mutexes->pdata[ev->dep];
		if (held[ev->dep])
			return fail(p, ev->path, "takes mutex '%s' (its name), which this task already holds", m);
		return true;
	default:
		return true;
	}
}

/*
 * Walks the task's mutex state through its phases. A pass over a phase maps a state to a state;
 * if two passes succeed the second left every mutex it touches as it found it, so more passes
 * change nothing: two stand for any loop count above one, for phases and for the whole task.
 */
static bool walk_task(struct parser *p, const struct rtapp_task *t)
{
	if (t->loop == 0)
		return true;
	bool *held = g_new0(bool, p->mutexes->len);
	bool ok = true, ends = t->loop != -1;
	for (int round = 0; ok && round < (t->loop == 1 ? 1 : 2); round++) {
		bool stuck = false; /* in a phase that loops for ever: the phases after it never run */
		for (uint32_t i = 0; ok && !stuck && i < t->nphases; i++) {
			const struct rtapp_phase *ph = &t->phases[i];
			for (int pass = 0; ok && pass < (ph->loop == 1 ? 1 : 2); pass++)
				for (uint32_t e = 0; ok && e < ph->nevents; e++)
					ok = walk_event(p, &ph->events[e], held);
			stuck = ph->loop == -1;
		}
		if (stuck) {
			ends = false;
			break;
		}
	}
	for (uint32_t m = 0; ok && ends && m < p->mutexes->len; m++)
		if (held[m])
			ok = fail(p, t->path, "the task ends holding mutex '%s' (every task waiting for it would wait for ever)",
				  (const char *)p->mutexes->pdata[m]);
	g_free(held);
	return ok;
}

static bool parse_task(struct parser *p, const char *name, const cJSON *obj, struct rtapp_task *t)
{
	t->name = g_strdup(name);
	t->path = param_pointer_child("/tasks", name);
	const char *path = t->path;
	if (!cJSON_IsObject(obj))
		return fail(p, path, "a task is an object");
	struct props pr;
	uint32_t nevents;
	const char *first;
	if (!classify(p, obj, path, true, &pr, &nevents, &first))
		return false;
	if (pr.phases && nevents) {
		char *cp = param_pointer_child(path, first);
		fail(p, cp, "the task has phases: its events go inside them");
		g_free(cp);
		return false;
	}
	if (!pr.phases && nevents == 0)
		return fail(p, path, "the task has no events and no phases (supported events: %s)", SUPPORTED_EVENTS);
	int64_t v = 1;
	char *cp;
	bool ok = true;
	if (pr.instance) {
		cp = param_pointer_child(path, "instance");
		ok = read_int(p, pr.instance, cp, 0, 4096, &v);
		g_free(cp);
	}
	t->instances = (uint32_t)v;
	if (ok && pr.delay) {
		cp = param_pointer_child(path, "delay");
		ok = read_int(p, pr.delay, cp, 0, US_MAX, &t->delay_us);
		g_free(cp);
	}
	struct task_ctx tc = {0};
	bool given = false, ws_given = false;
	uint64_t ws = 0;
	if (ok)
		ok = read_working_set(p, pr.working_set, path, &ws, &ws_given);
	if (ok)
		ok = sched_nice(p, &pr, path, &tc.nice, &given);
	if (ok && pr.cpus) {
		cp = param_pointer_child(path, "cpus");
		ok = read_cpus(p, pr.cpus, cp, &tc.task_cpus);
		tc.cpus_path = cp;
	}
	if (ok && pr.phases) {
		cp = param_pointer_child(path, "phases");
		if (!cJSON_IsObject(pr.phases) || !pr.phases->child)
			ok = fail(p, cp, "expected an object of phases, each an object of events");
		uint32_t n = 0;
		for (const cJSON *c = ok ? pr.phases->child : NULL; c; c = c->next)
			n++;
		t->phases = g_new0(struct rtapp_phase, n);
		for (const cJSON *c = ok ? pr.phases->child : NULL; ok && c; c = c->next) {
			char *pp = param_pointer_child(cp, c->string);
			struct rtapp_phase *ph = &t->phases[t->nphases];
			ph->name = g_strdup(c->string);
			ok = parse_phase(p, name, c, pp, &tc, t->nphases++, ph);
			g_free(pp);
		}
		g_free(cp);
		t->loop = -1;
		if (ok && pr.loop) {
			cp = param_pointer_child(path, "loop");
			ok = read_int(p, pr.loop, cp, -1, INT32_MAX, &t->loop);
			g_free(cp);
		}
	} else if (ok) {
		/* one phase: the task object itself; its loop counts passes and then the task ends */
		t->phases = g_new0(struct rtapp_phase, 1);
		t->nphases = 1;
		struct rtapp_phase *ph = &t->phases[0];
		ph->name = g_strdup(name);
		ph->loop = 1;
		t->loop = -1;
		if (pr.loop) {
			cp = param_pointer_child(path, "loop");
			ok = read_int(p, pr.loop, cp, -1, INT32_MAX, &ph->loop);
			if (ok && ph->loop == 0)
				ok = fail(p, cp, "loop is -1 (for ever) or at least 1, got 0");
			g_free(cp);
			t->loop = 1;
		}
		tc.cpus = tc.task_cpus ? g_array_copy(tc.task_cpus) : NULL;
		if (ok)
			ok = parse_events(p, name, obj, path, nevents, ph);
	}
	for (uint32_t i = 0; ok && ws_given && i < t->nphases; i++) /* the task's working_set: its phases' default */
		if (!t->phases[i].has_working_set)
			t->phases[i].working_set = ws, t->phases[i].has_working_set = true;
	if (ok && tc.cpus) {
		t->ncpus = tc.cpus->len;
		t->cpus = g_memdup2(tc.cpus->data, tc.cpus->len * sizeof(uint32_t));
		t->cpus_path = g_strdup(tc.cpus_path);
	}
	t->nice = tc.nice;
	if (tc.task_cpus)
		g_array_free(tc.task_cpus, TRUE);
	if (tc.cpus)
		g_array_free(tc.cpus, TRUE);
	g_free(tc.cpus_path);
	return ok && walk_task(p, t);
}

/* ---- global ---- */

/*
 * global: what changes the run (duration, mem_buffer_size, default_policy) is used; what concerns
 * rt-app's host side (logging, tracing, calibration, page locking) is checked and ignored.
 */
static bool parse_global(struct parser *p, const cJSON *g, struct rtapp_model *m)
{
	if (!cJSON_IsObject(g))
		return fail(p, "/global", "expected an object");
	for (const cJSON *c = g->child; c; c = c->next) {
		const char *k = c->string;
		char *cp = param_pointer_child("/global", k);
		const char *s;
		int64_t v;
		bool ok;
		if (strcmp(k, "duration") == 0) {
			ok = read_int(p, c, cp, -1, 1000000, &m->duration_s); /* 11.6 days: far past any run, in range of ps */
		} else if (strcmp(k, "mem_buffer_size") == 0) {
			ok = read_int(p, c, cp, 1, INT32_MAX, &v);
			m->mem_buffer_size = (uint64_t)v;
		} else if (strcmp(k, "default_policy") == 0) {
			ok = check_policy(p, c, cp);
		} else if (strcmp(k, "calibration") == 0) {
			if (cJSON_IsNumber(c))
				ok = read_int(p, c, cp, 1, INT32_MAX, &v);
			else if ((ok = read_string(p, c, cp, &s)) && strncmp(s, "CPU", 3) != 0)
				ok = fail(p, cp, "expected ns per loop (an integer) or \"CPU<n>\", got \"%s\"", s);
		} else if (strcmp(k, "pi_enabled") == 0 || strcmp(k, "lock_pages") == 0 || strcmp(k, "gnuplot") == 0 ||
			   strcmp(k, "cumulative_slack") == 0) {
			ok = read_bool(p, c, cp);
		} else if (strcmp(k, "logdir") == 0 || strcmp(k, "log_basename") == 0 || strcmp(k, "io_device") == 0) {
			ok = read_string(p, c, cp, &s);
		} else if (strcmp(k, "log_size") == 0) {
			ok = cJSON_IsNumber(c) ? read_int(p, c, cp, 0, INT32_MAX, &v) : read_string(p, c, cp, &s);
		} else if (strcmp(k, "ftrace") == 0) {
			ok = cJSON_IsBool(c) || read_string(p, c, cp, &s);
		} else {
			ok = fail(p, cp, "unknown global key '%s' (supported: duration, mem_buffer_size, default_policy; "
					 "accepted and ignored: calibration, pi_enabled, lock_pages, logdir, log_basename, "
					 "log_size, ftrace, gnuplot, io_device, cumulative_slack)", k);
		}
		g_free(cp);
		if (!ok)
			return false;
	}
	return true;
}

/* ---- the model ---- */

void rtapp_model_free(struct rtapp_model *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->ntasks; i++) {
		struct rtapp_task *t = &m->tasks[i];
		for (uint32_t j = 0; j < t->nphases; j++) {
			for (uint32_t e = 0; e < t->phases[j].nevents; e++)
				g_free(t->phases[j].events[e].path);
			g_free(t->phases[j].events);
			g_free(t->phases[j].name);
		}
		g_free(t->phases);
		g_free(t->name);
		g_free(t->path);
		g_free(t->cpus);
		g_free(t->cpus_path);
	}
	g_free(m->tasks);
	for (uint32_t i = 0; i < m->nmutexes; i++)
		g_free(m->mutexes[i]);
	g_free(m->mutexes);
	for (uint32_t i = 0; i < m->nconds; i++)
		g_free(m->conds[i]);
	g_free(m->conds);
	for (uint32_t i = 0; i < m->ntimers; i++)
		g_free(m->timers[i].name);
	g_free(m->timers);
	for (uint32_t i = 0; i < m->nbarriers; i++)
		g_free(m->barriers[i].name);
	g_free(m->barriers);
	g_free(m);
}

struct rtapp_model *rtapp_model_parse(const cJSON *root, const char *origin, GError **error)
{
	struct parser p = {
		.origin = origin,
		.error = error,
		.mutexes = g_ptr_array_new(),
		.conds = g_ptr_array_new(),
		.timers = g_array_new(FALSE, TRUE, sizeof(struct rtapp_timer)),
		.barriers = g_array_new(FALSE, TRUE, sizeof(struct rtapp_barrier)),
	};
	struct rtapp_model *m = g_new0(struct rtapp_model, 1);
	m->duration_s = -1;
	m->mem_buffer_size = 4194304; /* rt-app's DEFAULT_MEM_BUF_SIZE */
	const cJSON *tasks = NULL, *global = NULL;
	bool ok = cJSON_IsObject(root) || fail(&p, "/", "an rt-app description is an object with \"tasks\"");
	for (const cJSON *c = ok ? root->child : NULL; ok && c; c = c->next) {
		char *cp = param_pointer_child("", c->string);
		if (strcmp(c->string, "tasks") == 0 && !tasks)
			tasks = c;
		else if (strcmp(c->string, "global") == 0 && !global)
			global = c;
		else if (strcmp(c->string, "resources") == 0)
			; /* kept by rt-app for old files; resources are created by naming them */
		else if (strcmp(c->string, "tasks") == 0 || strcmp(c->string, "global") == 0)
			ok = fail(&p, cp, "'%s' is given twice", c->string);
		else
			ok = fail(&p, cp, "unknown key '%s' (an rt-app description has tasks, global and resources)", c->string);
		g_free(cp);
	}
	if (ok && !tasks)
		ok = fail(&p, "/", "missing required key 'tasks'");
	if (ok && (!cJSON_IsObject(tasks) || !tasks->child))
		ok = fail(&p, "/tasks", "expected an object of tasks, each named by its key");
	if (ok && global)
		ok = parse_global(&p, global, m);
	uint32_t n = 0;
	for (const cJSON *c = ok ? tasks->child : NULL; c; c = c->next)
		n++;
	m->tasks = g_new0(struct rtapp_task, n);
	for (const cJSON *c = ok ? tasks->child : NULL; ok && c; c = c->next) {
		for (uint32_t i = 0; i < m->ntasks; i++)
			if (strcmp(m->tasks[i].name, c->string) == 0) {
				char *cp = param_pointer_child("/tasks", c->string);
				ok = fail(&p, cp, "two tasks are named '%s'", c->string);
				g_free(cp);
			}
		if (!ok)
			break;
		p.ntask = m->ntasks;
		if (p.uses_barrier)
			memset(p.uses_barrier, 0, p.uses_cap * sizeof(bool));
		struct rtapp_task *t = &m->tasks[m->ntasks++];
		ok = parse_task(&p, c->string, c, t);
		for (guint b = 0; ok && b < p.barriers->len; b++)
			if (p.uses_barrier[b])
				g_array_index(p.barriers, struct rtapp_barrier, b).users += t->instances;
	}
	m->nmutexes = p.mutexes->len;
	m->mutexes = (char **)g_ptr_array_free(p.mutexes, FALSE);
	m->nconds = p.conds->len;
	m->conds = (char **)g_ptr_array_free(p.conds, FALSE);
	m->ntimers = p.timers->len;
	m->timers = (struct rtapp_timer *)(void *)g_array_free(p.timers, FALSE);
	m->nbarriers = p.barriers->len;
	m->barriers = (struct rtapp_barrier *)(void *)g_array_free(p.barriers, FALSE);
	m->io_path = p.io_path;
	g_free(p.uses_barrier);
	if (!ok) {
		rtapp_model_free(m);
		return NULL;
	}
	return m;
}
