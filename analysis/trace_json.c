/* SPDX-License-Identifier: MIT */
/*
 * trace_json.c - the streaming Chrome trace-event JSON writer (trace_json.h).
 * Role: implements struct sim_trace_ops by printing one JSON object per event as it arrives.
 * Processes and threads: a track group is a process (pid = order of first appearance, from 1), a
 *       track is a thread (tid = track id + 1); "M" events name both and fix their sort order.
 * Window: the writer keeps, per track, the names of the slices open there (a stack as deep as the
 *       model nests, a few entries) and the last counter value. When simulated time first reaches
 *       the window's start, every open slice is begun there and every counter restated; when it
 *       reaches the end, every open slice is ended there and nothing more is written. Events are
 *       handed over in time order (the engine's clock never goes back), so this is all it takes.
 * Time: ps -> us as integer division and remainder, printed "%llu.%06llu": exact, no float.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/trace_json.h"

enum { NAME_MAX_BYTES = 64 };

/* A slice open on a track (the name copied: the model's string may not outlive the call). */
struct open_slice {
	char name[NAME_MAX_BYTES];
};

struct track {
	uint32_t pid, tid;
	GArray *open;                 /* struct open_slice, innermost last */
	bool has_value;               /* a counter track that has a value */
	char counter[NAME_MAX_BYTES];
	double value;
};

struct trace_json {
	struct sim_trace_sink sink;   /* first: the ops find the writer by a cast */
	FILE *f;
	char *path;
	sim_time_t start, end;        /* the window [start, end) */
	sim_time_t last;              /* the latest event time seen */
	bool in_window;               /* start reached, end not yet */
	bool past_window;             /* end reached: nothing more is written */
	bool finished;
	bool first;                   /* no event written yet (no comma before the next) */
	uint64_t max_bytes;           /* the size cap (0: none) */
	uint32_t since_check;         /* events handed over since the size was last checked */
	bool truncated;               /* the cap ended the trace at truncated_at */
	sim_time_t truncated_at;
	GPtrArray *groups;            /* char *, owned; pid = index + 1 */
	GArray *tracks;               /* struct track, index = track id */
};

static struct trace_json *of(struct sim_trace_sink *s) { return (struct trace_json *)(void *)s; }

/* ---- printing ---- */

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Microseconds, exactly: the integer part and six decimals of the picoseconds. */
static void put_us(FILE *f, sim_time_t t)
{
	fprintf(f, "%" PRIu64 ".%06" PRIu64, t / SIM_PS_PER_US, t % SIM_PS_PER_US);
}

/* Starts an event object: the separator, phase, time and the track's pid and tid. */
static void event_head(struct trace_json *w, char ph, sim_time_t t, const struct track *tr)
{
	fputs(w->first ? "\n" : ",\n", w->f);
	w->first = false;
	fprintf(w->f, "{\"ph\":\"%c\",\"ts\":", ph);
	put_us(w->f, t);
	fprintf(w->f, ",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32, tr->pid, tr->tid);
}

static void write_begin(struct trace_json *w, sim_time_t t, const struct track *tr, const char *name)
{
	event_head(w, 'B', t, tr);
	fputs(",\"name\":", w->f);
	put_string(w->f, name);
	fputc('}', w->f);
}

static void write_end(struct trace_json *w, sim_time_t t, const struct track *tr)
{
	event_head(w, 'E', t, tr);
	fputc('}', w->f);
}

static void write_counter(struct trace_json *w, sim_time_t t, const struct track *tr)
{
	event_head(w, 'C', t, tr);
	fputs(",\"name\":", w->f);
	put_string(w->f, tr->counter);
	fprintf(w->f, ",\"args\":{\"value\":%.17g}}", isfinite(tr->value) ? tr->value : 0.0);
}

/* A metadata event naming a process (tid 0) or a thread, and one giving its sort position. */
static void write_meta(struct trace_json *w, const char *what, uint32_t pid, uint32_t tid, const char *name)
{
	struct track t = {.pid = pid, .tid = tid};
	event_head(w, 'M', 0, &t);
	fprintf(w->f, ",\"name\":\"%s_name\",\"args\":{\"name\":", what);
	put_string(w->f, name);
	fputs("}}", w->f);
	event_head(w, 'M', 0, &t);
	fprintf(w->f, ",\"name\":\"%s_sort_index\",\"args\":{\"sort_index\":%" PRIu32 "}}", what,
		tid ? tid : pid);
}

/* ---- the window ---- */

/* Every open slice begins at the window's start; every counter states its value there. */
static void open_window(struct trace_json *w)
{
	w->in_window = true;
	for (guint i = 0; i < w->tracks->len; i++) {
		struct track *tr = &g_array_index(w->tracks, struct track, i);
		for (guint d = 0; tr->open && d < tr->open->len; d++)
			write_begin(w, w->start, tr, g_array_index(tr->open, struct open_slice, d).name);
		if (tr->has_value)
			write_counter(w, w->start, tr);
	}
}

/* Every open slice ends at `at` (innermost first); nothing is written afterwards. */
static void close_window(struct trace_json *w, sim_time_t at)
{
	for (guint i = 0; i < w->tracks->len; i++) {
		struct track *tr = &g_array_index(w->tracks, struct track, i);
		for (guint d = tr->open ? tr->open->len : 0; d-- > 0;)
			write_end(w, at, tr);
	}
	w->in_window = false;
	w->past_window = true;
}

/* Simulated time reached t: the window opens or closes on the way. */
static void advance(struct trace_json *w, sim_time_t t)
{
	if (t > w->last)
		w->last = t;
	if (!w->in_window && !w->past_window && t >= w->start)
		open_window(w);
	if (w->in_window && t >= w->end)
		close_window(w, w->end);
	if (w->in_window && w->max_bytes && ++w->since_check >= 4096) { /* ftell may be a system call */
		w->since_check = 0;
		long size = ftell(w->f);
		if (size >= 0 && (uint64_t)size >= w->max_bytes) {
			close_window(w, t);
			w->truncated = true;
			w->truncated_at = t;
		}
	}
}

/* The track an event names, or NULL when the model named an undeclared one (ignored). */
static struct track *track_at(struct trace_json *w, uint32_t id)
{
	return id < w->tracks->len ? &g_array_index(w->tracks, struct track, id) : NULL;
}

/* ---- the sink ops ---- */

static uint32_t pid_of(struct trace_json *w, const char *group)
{
	for (guint i = 0; i < w->groups->len; i++)
		if (strcmp(w->groups->pdata[i], group) == 0)
			return i + 1;
	g_ptr_array_add(w->groups, g_strdup(group));
	write_meta(w, "process", w->groups->len, 0, group);
	return w->groups->len;
}

static void on_track_declared(struct sim_trace_sink *s, uint32_t id, const char *group, const char *name)
{
	struct trace_json *w = of(s);
	if (w->finished)
		return;
	while (w->tracks->len <= id) {
		struct track t = {.tid = w->tracks->len + 1};
		g_array_append_val(w->tracks, t);
	}
	struct track *tr = track_at(w, id);
	tr->pid = pid_of(w, group);
	write_meta(w, "thread", tr->pid, tr->tid, name);
}

static void on_begin(struct sim_trace_sink *s, sim_time_t t, uint32_t id, const char *name)
{
	struct trace_json *w = of(s);
	struct track *tr = track_at(w, id);
	if (w->finished || !tr)
		return;
	advance(w, t);
	if (!tr->open)
		tr->open = g_array_new(FALSE, FALSE, sizeof(struct open_slice));
	struct open_slice o;
	g_strlcpy(o.name, name, sizeof o.name);
	g_array_append_val(tr->open, o);
	if (w->in_window)
		write_begin(w, t, tr, o.name);
}

static void on_end(struct sim_trace_sink *s, sim_time_t t, uint32_t id)
{
	struct trace_json *w = of(s);
	struct track *tr = track_at(w, id);
	if (w->finished || !tr || !tr->open || tr->open->len == 0)
		return; /* an end without a begin would unbalance the viewer's stack: dropped */
	advance(w, t);
	g_array_set_size(tr->open, tr->open->len - 1);
	if (w->in_window)
		write_end(w, t, tr);
}

static void on_instant(struct sim_trace_sink *s, sim_time_t t, uint32_t id, const char *name)
{
	struct trace_json *w = of(s);
	struct track *tr = track_at(w, id);
	if (w->finished || !tr)
		return;
	advance(w, t);
	if (!w->in_window)
		return;
	event_head(w, 'i', t, tr);
	fputs(",\"s\":\"t\",\"name\":", w->f);
	put_string(w->f, name);
	fputc('}', w->f);
}

static void on_counter(struct sim_trace_sink *s, sim_time_t t, uint32_t id, const char *name, double value)
{
	struct trace_json *w = of(s);
	struct track *tr = track_at(w, id);
	if (w->finished || !tr)
		return;
	advance(w, t);
	tr->has_value = true;
	g_strlcpy(tr->counter, name, sizeof tr->counter);
	tr->value = value;
	if (w->in_window)
		write_counter(w, t, tr);
}

static void on_flow(struct sim_trace_sink *s, sim_time_t t, uint32_t id, enum sim_flow_phase phase, uint64_t flow,
		    const char *name)
{
	static const char ph[] = {[SIM_FLOW_BEGIN] = 's', [SIM_FLOW_STEP] = 't', [SIM_FLOW_END] = 'f'};
	struct trace_json *w = of(s);
	struct track *tr = track_at(w, id);
	if (w->finished || !tr)
		return;
	advance(w, t);
	if (!w->in_window)
		return;
	event_head(w, ph[phase], t, tr);
	fprintf(w->f, ",\"id\":%" PRIu64 ",\"cat\":\"flow\",\"bp\":\"e\",\"name\":", flow);
	put_string(w->f, name);
	fputc('}', w->f);
}

static void on_close(struct sim_trace_sink *s) { fflush(of(s)->f); }

static const struct sim_trace_ops json_ops = {
	.track = on_track_declared,
	.begin = on_begin,
	.end = on_end,
	.instant = on_instant,
	.counter = on_counter,
	.close = on_close,
	.flow = on_flow,
};

/* ---- the writer ---- */

struct trace_json *trace_json_open(const char *path, sim_time_t start, sim_time_t end, GError **error)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		int err = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot write the trace %s: %s", path,
			    g_strerror(err));
		return NULL;
	}
	struct trace_json *w = g_new0(struct trace_json, 1);
	w->sink.ops = &json_ops;
	w->f = f;
	w->path = g_strdup(path);
	w->start = start;
	w->end = end;
	w->first = true;
	w->max_bytes = TRACE_JSON_MAX_BYTES_DEFAULT;
	w->groups = g_ptr_array_new_with_free_func(g_free);
	w->tracks = g_array_new(FALSE, TRUE, sizeof(struct track));
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	fputc('[', f);
	return w;
}

struct sim_trace_sink *trace_json_sink(struct trace_json *w) { return &w->sink; }

void trace_json_set_max_bytes(struct trace_json *w, uint64_t max) { w->max_bytes = max; }

bool trace_json_truncated(const struct trace_json *w, sim_time_t *at)
{
	if (at)
		*at = w->truncated_at;
	return w->truncated;
}

bool trace_json_finish(struct trace_json *w, sim_time_t end, GError **error)
{
	if (w->finished)
		return true;
	advance(w, end);
	if (w->in_window)
		close_window(w, end);
	w->finished = true;
	fputs("\n]\n", w->f);
	if (fflush(w->f) != 0 || ferror(w->f)) {
		int err = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "writing the trace %s failed: %s",
			    w->path, g_strerror(err));
		return false;
	}
	return true;
}

void trace_json_free(struct trace_json *w)
{
	if (!w)
		return;
	if (!w->finished)
		trace_json_finish(w, w->last, NULL);
	fclose(w->f);
	for (guint i = 0; i < w->tracks->len; i++) {
		struct track *tr = &g_array_index(w->tracks, struct track, i);
		if (tr->open)
			g_array_free(tr->open, TRUE);
	}
	g_array_free(w->tracks, TRUE);
	g_ptr_array_free(w->groups, TRUE);
	g_free(w->path);
	g_free(w);
}
