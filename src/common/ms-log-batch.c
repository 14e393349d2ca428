/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-log-batch.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * stderr lines gathered per main-loop turn. Every request logs a line, and on a
 * busy server one write() per line costs more than the rest of the line (the
 * system call, not the text): a thread that runs a main loop keeps its lines and
 * writes them all in one go just before the loop next waits, as nginx's
 * `access_log ... buffer=` does. A line waits at most for the rest of the turn
 * it was logged in. Under journald this is not used: there every entry is one
 * datagram of its own.
 *
 * Each thread has its own batch (the gateway's workers log at once), flushed by a
 * source in the main context the thread runs, when the thread ends, at exit, and
 * before a warning or worse: those are written at once, after what came before.
 */

/* past this a batch is written at once, whatever the turn: it bounds the memory */
#define MS_LOG_BATCH_LIMIT 16384

typedef struct {
	GString *lines;
	GThread *thread;       /* whose lines: only it touches them */
	GMainContext *context; /* (owned): where flush_source is */
	GSource *flush_source; /* (owned) */
} Batch;

typedef struct {
	GSource source;
	Batch *batch;
} FlushSource;

static void
write_all(const char *text, gsize length)
{
	for (gsize done = 0; done < length;) {
		gssize n = write(STDERR_FILENO, text + done, length - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (gsize)n;
	}
}

static void
batch_flush(Batch *batch)
{
	if (batch->lines->len == 0)
		return;
	write_all(batch->lines->str, batch->lines->len);
	g_string_truncate(batch->lines, 0);
}

/* prepare runs once a turn, before the loop polls: the turn's lines go out then */
static gboolean
flush_source_prepare(GSource *source, gint *timeout)
{
	Batch *batch = ((FlushSource *)source)->batch;

	/* another thread may run this context later: the lines stay their thread's */
	if (batch->thread == g_thread_self())
		batch_flush(batch);
	*timeout = -1;
	return FALSE;
}

static GSourceFuncs flush_source_funcs = {
	.prepare = flush_source_prepare,
};

static void
batch_detach(Batch *batch)
{
	if (batch->flush_source != NULL) {
		g_source_destroy(batch->flush_source);
		g_clear_pointer(&batch->flush_source, g_source_unref);
	}
	g_clear_pointer(&batch->context, g_main_context_unref);
}

static void
batch_free(gpointer data)
{
	Batch *batch = data;

	batch_flush(batch);
	batch_detach(batch);
	g_string_free(batch->lines, TRUE);
	g_free(batch);
}

/* a thread's batch is flushed and freed when the thread ends */
static GPrivate thread_batch = G_PRIVATE_INIT(batch_free);

/* the main thread does not "end": exit() flushes its batch */
static void
flush_at_exit(void)
{
	ms_log_batch_flush();
}

static Batch *
batch_of_thread(void)
{
	static gsize exit_hook_once;
	Batch *batch = g_private_get(&thread_batch);

	if (batch != NULL)
		return batch;
	if (g_once_init_enter(&exit_hook_once)) {
		atexit(flush_at_exit);
		g_once_init_leave(&exit_hook_once, 1);
	}
	batch = g_new0(Batch, 1);
	batch->lines = g_string_sized_new(1024);
	batch->thread = g_thread_self();
	g_private_set(&thread_batch, batch);
	return batch;
}

/* the flush source of @batch is in @context, the one this thread runs now */
static void
batch_follow_context(Batch *batch, GMainContext *context)
{
	FlushSource *flush;

	if (batch->context == context)
		return;
	batch_flush(batch);
	batch_detach(batch);
	flush = (FlushSource *)g_source_new(&flush_source_funcs, sizeof(FlushSource));
	flush->batch = batch;
	/*
	 * first of all: a context stops calling prepare at the first priority below
	 * a source that is already ready, and this one must be asked every turn.
	 * Its prepare still comes after the previous turn's dispatches.
	 */
	g_source_set_priority(&flush->source, G_MININT);
	g_source_set_static_name(&flush->source, "[microsoup] log batch");
	g_source_attach(&flush->source, context);
	batch->flush_source = &flush->source;
	batch->context = g_main_context_ref(context);
}

/**
 * ms_log_batch_begin_line:
 *
 * For a line made in place, without a copy: the access log's. Append one whole
 * line, then call ms_log_batch_end_line().
 *
 * Returns: (transfer none) (nullable): this thread's batch, or %NULL when the
 * thread is not inside its main loop (then use ms_log_batch_write())
 */
GString *
ms_log_batch_begin_line(void)
{
	Batch *batch = g_private_get(&thread_batch);
	GMainContext *context = g_main_context_get_thread_default();

	if (context == NULL)
		context = g_main_context_default();
	/* only a thread inside its loop will come back to prepare and flush */
	if (!g_main_context_is_owner(context))
		return NULL;
	if (batch == NULL)
		batch = batch_of_thread();
	batch_follow_context(batch, context);
	return batch->lines;
}

/**
 * ms_log_batch_end_line:
 *
 * Ends a line begun with ms_log_batch_begin_line().
 */
void
ms_log_batch_end_line(void)
{
	Batch *batch = g_private_get(&thread_batch);

	if (batch->lines->len >= MS_LOG_BATCH_LIMIT)
		batch_flush(batch);
}

void
ms_log_batch_write(const char *line, gsize length, gboolean urgent)
{
	Batch *batch = g_private_get(&thread_batch);
	g_autoptr(GMainContext) context = NULL;

	if (!urgent) {
		context = g_main_context_ref_thread_default();
		/* only a thread inside its loop will come back to prepare and flush */
		if (!g_main_context_is_owner(context))
			g_clear_pointer(&context, g_main_context_unref);
	}
	if (context == NULL) {
		if (batch != NULL)
			batch_flush(batch);
		write_all(line, length);
		return;
	}
	if (batch == NULL)
		batch = batch_of_thread();
	batch_follow_context(batch, context);
	g_string_append_len(batch->lines, line, (gssize)length);
	if (batch->lines->len >= MS_LOG_BATCH_LIMIT)
		batch_flush(batch);
}

/**
 * ms_log_batch_flush:
 *
 * Writes this thread's gathered lines now; for a loop that has stopped turning.
 */
void
ms_log_batch_flush(void)
{
	Batch *batch = g_private_get(&thread_batch);

	if (batch != NULL)
		batch_flush(batch);
}
