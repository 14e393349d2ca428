/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-log.h"
#include "ms-log-batch.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * One writer for every binary. GLib's default writer drops info entries unless
 * G_MESSAGES_DEBUG is set, but an access log is info: so under journald every
 * entry but debug goes to the journal, and elsewhere one readable line goes to stderr.
 */

#define MS_LOG_MAX_FIELDS 32
#define MS_LOG_STAMP_SIZE 13 /* "HH:MM:SS.mmm" */

static char *log_identifier;
static MsLogCaptureFunc capture_func;
static gpointer capture_data;
static gsize writer_once;
static gboolean to_journal;
static gboolean debug_enabled;

typedef struct {
	GLogLevelFlags level;
	char *pattern;
} Expected;

static GMutex expected_lock;
static GQueue expected_entries = G_QUEUE_INIT;    /* of Expected, under expected_lock */
static gint n_expected;                           /* atomic: expected_entries' length */
static gint always_fatal_seen = G_LOG_FATAL_MASK; /* atomic */

static const char *
level_priority(GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return "3";
	if (level & G_LOG_LEVEL_CRITICAL)
		return "4";
	if (level & G_LOG_LEVEL_WARNING)
		return "4";
	if (level & G_LOG_LEVEL_MESSAGE)
		return "5";
	if (level & G_LOG_LEVEL_INFO)
		return "6";
	return "7";
}

static const char *
field_string(const GLogField *fields, gsize n_fields, const char *key)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, key) == 0 && fields[i].length < 0)
			return fields[i].value;
	}
	return NULL;
}

/*
 * glibc no longer caches getpid(): one syscall per line saved; no binary forks.
 * Kept as text, as the line wants it.
 */
static const char *
log_pid_text(void)
{
	static char text[16];
	static gsize once;

	if (g_once_init_enter(&once)) {
		g_snprintf(text, sizeof text, "%d", (int)getpid());
		g_once_init_leave(&once, 1);
	}
	return text;
}

/*
 * "identifier[pid]: " of this process's own entries, made once by ms_log_init():
 * a line would otherwise be put together from four more pieces
 */
static char *line_prefix;
static gsize line_prefix_length;

/*
 * hour:minute:second.millis, local time. A gateway writes a line per request:
 * localtime_r() once a second is far cheaper than a GDateTime per line, and the
 * millis are three digits put in by hand rather than a printf() per line.
 */
static void
format_stamp(char out[MS_LOG_STAMP_SIZE])
{
	static __thread time_t cached_second = -1;
	static __thread char cached[9];
	struct timespec now;
	long millis;

	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != cached_second) {
		struct tm tm;
		localtime_r(&now.tv_sec, &tm);
		strftime(cached, sizeof cached, "%H:%M:%S", &tm);
		cached_second = now.tv_sec;
	}
	millis = now.tv_nsec / 1000000;
	memcpy(out, cached, 8);
	out[8] = '.';
	out[9] = (char)('0' + millis / 100);
	out[10] = (char)('0' + millis / 10 % 10);
	out[11] = (char)('0' + millis % 10);
	out[12] = '\0';
}

/* " KEY=VALUE" for a field the entry has, "" otherwise: two pieces of the line */
#define OPTIONAL_FIELD(value, key) \
	(value) != NULL ? " " key "=" : "", (value) != NULL ? (value) : ""

/*
 * printf into @stack when the text fits, else into a new string in *@heap: an
 * entry per request would otherwise pay a malloc, and vasprintf()'s realloc, for
 * each of its formatted strings.
 *
 * Returns: the text, in @stack or *@heap
 */
static const char *
format_into(char *stack, gsize size, char **heap, const char *format, va_list args)
{
	va_list again;
	gint length;

	va_copy(again, args);
	length = g_vsnprintf(stack, size, format, args);
	if (length >= 0 && (gsize)length < size) {
		va_end(again);
		return stack;
	}
	*heap = g_strdup_vprintf(format, again);
	va_end(again);
	return *heap;
}

static void
write_stderr_line(GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
	const char *message = NULL;
	const char *ident = NULL;
	/*
	 * without the journal these fields would be lost: a request is found by its
	 * X-Request-ID, and the gateway's by where it went. The upstream goes last: an
	 * aggregation route's ("hello, world") has a space in it.
	 */
	const char *request_id = NULL;
	const char *route = NULL;
	const char *upstream = NULL;
	const char *tag = "";
	char stamp[MS_LOG_STAMP_SIZE];
	char stack[512];
	g_autofree char *heap = NULL;
	const char *line;
	gboolean own; /* an entry of this process's identifier, with the prefix made for it */

	/* one pass over the fields, not one per field wanted */
	for (gsize i = 0; i < n_fields; i++) {
		const char *key = fields[i].key;
		const char **wanted = NULL;

		if (fields[i].length >= 0)
			continue;
		/* by the first letter first: most fields are none of these */
		switch (key[0]) {
		case 'M':
			if (strcmp(key, "MESSAGE") == 0)
				wanted = &message;
			break;
		case 'S':
			if (strcmp(key, "SYSLOG_IDENTIFIER") == 0)
				wanted = &ident;
			break;
		case 'R':
			if (strcmp(key, "REQUEST_ID") == 0)
				wanted = &request_id;
			else if (strcmp(key, "ROUTE") == 0)
				wanted = &route;
			break;
		case 'U':
			if (strcmp(key, "UPSTREAM") == 0)
				wanted = &upstream;
			break;
		default:
			break;
		}
		if (wanted != NULL && *wanted == NULL)
			*wanted = fields[i].value;
	}

	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		tag = "CRITICAL: ";
	else if (level & G_LOG_LEVEL_WARNING)
		tag = "WARNING: ";

	format_stamp(stamp);
	/*
	 * stderr is unbuffered: fprintf() there costs a write() per piece (a dozen per
	 * line). One line, one write, also keeps lines of several threads whole. Its
	 * pieces are all text already: concatenated, not printf()ed.
	 */
	if (ident == NULL)
		ident = ms_log_get_identifier();
	own = line_prefix != NULL &&
	      (ident == log_identifier || strcmp(ident, log_identifier) == 0);
	line = ms_log_concat(stack,
			     sizeof stack,
			     &heap,
			     stamp,
			     " ",
			     own ? line_prefix : ident,
			     own ? "" : "[",
			     own ? "" : log_pid_text(),
			     own ? "" : "]: ",
			     tag,
			     message != NULL ? message : "",
			     OPTIONAL_FIELD(request_id, "id"),
			     OPTIONAL_FIELD(route, "route"),
			     OPTIONAL_FIELD(upstream, "upstream"),
			     "\n",
			     NULL);
	/* a warning or worse is written at once; the rest once the loop's turn ends */
	ms_log_batch_write(line,
			   strlen(line),
			   (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
				     G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL)) != 0);
}

/*
 * g_log() entries (GLib's own, a library's) come with GLIB_OLD_LOG_API: g_logv()
 * has already matched them against g_test_expect_message(), decides their
 * fatality from the domain's and the always-fatal masks and aborts itself.
 */
static gboolean
log_is_old_api(const GLogField *fields, gsize n_fields)
{
	return n_fields >= 1 && g_strcmp0(fields[0].key, "GLIB_OLD_LOG_API") == 0 &&
	       g_strcmp0(fields[0].value, "1") == 0;
}

/*
 * The mask of g_log_set_always_fatal(): g_test_init() adds warnings and
 * criticals, G_DEBUG=fatal-warnings|fatal-criticals adds them at start-up,
 * anything may change it later. GLib has no getter, only the setter that returns
 * the old mask: setting the mask last seen writes the same value back unless it
 * changed since, so no other thread ever logs under a mask nobody set (except
 * once, just after a change).
 */
static GLogLevelFlags
always_fatal_mask(void)
{
	GLogLevelFlags seen = (GLogLevelFlags)g_atomic_int_get(&always_fatal_seen);
	GLogLevelFlags mask = g_log_set_always_fatal(seen);

	if (mask != seen) {
		g_log_set_always_fatal(mask);
		g_atomic_int_set(&always_fatal_seen, (gint)mask);
	}
	return mask;
}

/* GLib's _g_log_abort(), which a writer cannot call */
static void
log_abort(gboolean breakpoint)
{
	/* a g_test_trap_subprocess() child logged this on purpose: no core dump */
	if (g_test_subprocess())
		_exit(1);
	if (breakpoint)
		G_BREAKPOINT();
	else
		g_abort();
}

static void
expected_free(Expected *expected)
{
	g_free(expected->pattern);
	g_free(expected);
}

/* TRUE when ms_log_expect_message() asked for the entry; consumes that expectation */
static gboolean
log_take_expected(GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
	const char *message = field_string(fields, n_fields, "MESSAGE");
	GList *link;

	g_mutex_lock(&expected_lock);
	for (link = expected_entries.head; link != NULL; link = link->next) {
		Expected *expected = link->data;

		if ((level & expected->level) == expected->level &&
		    g_pattern_match_simple(expected->pattern, message != NULL ? message : "")) {
			expected_free(expected);
			g_queue_delete_link(&expected_entries, link);
			g_atomic_int_dec_and_test(&n_expected);
			break;
		}
	}
	g_mutex_unlock(&expected_lock);
	return link != NULL;
}

/*
 * Fatality as in g_log_writer_default(): an entry of a level in the always-fatal
 * mask aborts the process once it is written, unless it came from g_log().
 */
static GLogWriterOutput
ms_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	gboolean old_api = log_is_old_api(fields, n_fields);

	if (capture_func != NULL)
		capture_func(level, fields, n_fields, capture_data);

	/* as with g_test_expect_message(): an expected entry is neither written nor fatal */
	if (!old_api && log_take_expected(level, fields, n_fields))
		return G_LOG_WRITER_HANDLED;

	if ((level & G_LOG_LEVEL_DEBUG) && !debug_enabled)
		return G_LOG_WRITER_HANDLED;

	if (!old_api && (level & always_fatal_mask()))
		level |= G_LOG_FLAG_FATAL;

	if (!to_journal ||
	    g_log_writer_journald(level, fields, n_fields, user_data) != G_LOG_WRITER_HANDLED)
		write_stderr_line(level, fields, n_fields);

	if (level & G_LOG_FLAG_FATAL)
		log_abort(!(level & G_LOG_FLAG_RECURSION));
	return G_LOG_WRITER_HANDLED;
}

/**
 * ms_log_init:
 * @syslog_identifier: the name journald shows, e.g. "microsoup-hello"
 *
 * Installs the process-wide log writer; safe to call more than once.
 */
void
ms_log_init(const char *syslog_identifier)
{
	if (!g_once_init_enter(&writer_once))
		return;
	g_free(log_identifier);
	log_identifier = g_strdup(syslog_identifier);
	line_prefix = g_strconcat(log_identifier, "[", log_pid_text(), "]: ", NULL);
	line_prefix_length = strlen(line_prefix);
	to_journal = g_log_writer_is_journald(fileno(stderr));
	debug_enabled = g_getenv("G_MESSAGES_DEBUG") != NULL;
	g_log_set_writer_func(ms_log_writer, NULL, NULL);
	g_once_init_leave(&writer_once, 1);
}

const char *
ms_log_get_identifier(void)
{
	if (log_identifier != NULL)
		return log_identifier;
	return g_get_prgname() != NULL ? g_get_prgname() : "microsoup";
}

void
ms_log_set_capture(MsLogCaptureFunc func, gpointer user_data)
{
	capture_func = func;
	capture_data = user_data;
}

/**
 * ms_log_expect_message:
 * @level: e.g. %G_LOG_LEVEL_WARNING
 * @pattern: a g_pattern_match_simple() glob of the MESSAGE
 *
 * g_test_expect_message() for the entries of this writer, which that one does not
 * see: the next entry of @level whose message matches is dropped, fatal or not.
 * Unlike GLib's, expectations are met in any order: the gateway's connections and
 * an aggregation's parts log as they finish. ms_log_assert_expected_messages()
 * checks that all were met.
 */
void
ms_log_expect_message(GLogLevelFlags level, const char *pattern)
{
	Expected *expected = g_new0(Expected, 1);

	expected->level = level & G_LOG_LEVEL_MASK;
	expected->pattern = g_strdup(pattern);
	g_mutex_lock(&expected_lock);
	g_queue_push_tail(&expected_entries, expected);
	g_atomic_int_inc(&n_expected);
	g_mutex_unlock(&expected_lock);
}

/**
 * ms_log_assert_expected_messages:
 *
 * Fails when an entry ms_log_expect_message() asked for was not logged.
 */
void
ms_log_assert_expected_messages(void)
{
	Expected *missing;

	g_mutex_lock(&expected_lock);
	missing = g_queue_pop_head(&expected_entries);
	g_queue_clear_full(&expected_entries, (GDestroyNotify)expected_free);
	g_atomic_int_set(&n_expected, 0);
	g_mutex_unlock(&expected_lock);
	if (missing != NULL) {
		g_autofree char *pattern = g_steal_pointer(&missing->pattern);

		g_free(missing);
		g_error("did not see the expected message: %s", pattern);
	}
}

void
ms_log_fields_full(GLogLevelFlags level,
		   const char *domain,
		   const char *file,
		   const char *line,
		   const char *func,
		   const MsLogField *extra,
		   gsize n_extra,
		   const char *format,
		   ...)
{
	GLogField fields[MS_LOG_MAX_FIELDS];
	gsize n = 0;
	va_list args;
	char stack[256];
	g_autofree char *heap = NULL;
	const char *message;

	va_start(args, format);
	/* a message made by the caller is taken as it is: no printf() to copy it */
	if (strcmp(format, "%s") == 0) {
		message = va_arg(args, const char *);
		/* what glibc's printf() writes for it */
		if (message == NULL)
			message = "(null)";
	} else
		message = format_into(stack, sizeof stack, &heap, format, args);
	va_end(args);

	fields[n++] = (GLogField){ "MESSAGE", message, -1 };
	fields[n++] = (GLogField){ "PRIORITY", level_priority(level), -1 };
	fields[n++] = (GLogField){ "SYSLOG_IDENTIFIER", ms_log_get_identifier(), -1 };
	fields[n++] = (GLogField){ "CODE_FILE", file, -1 };
	fields[n++] = (GLogField){ "CODE_LINE", line, -1 };
	fields[n++] = (GLogField){ "CODE_FUNC", func, -1 };
	/* as g_log_structured() has it: which library said it */
	if (domain != NULL)
		fields[n++] = (GLogField){ "GLIB_DOMAIN", domain, -1 };
	for (gsize i = 0; i < n_extra && n < MS_LOG_MAX_FIELDS; i++) {
		if (extra[i].value == NULL)
			continue;
		fields[n++] = (GLogField){ extra[i].key, extra[i].value, -1 };
	}
	g_log_structured_array(level, fields, n);
}

/**
 * ms_log_plain_line_begin:
 *
 * For an entry logged on every request (the access log's): when an
 * informational entry would only become a stderr line, with nothing to see it on
 * the way (no journal, no capture, no expectation), its caller may write that line
 * itself, without the fields, the writer and a copy of the line. The line's start
 * ("HH:MM:SS.mmm identifier[pid]: ") is in the returned string already; append
 * what write_stderr_line() would (the message, then " id=", " route=",
 * " upstream=" of the fields it has, then "\n"), then call
 * ms_log_plain_line_end().
 *
 * Returns: (transfer none) (nullable): where the line goes, or %NULL: then log
 * the entry with ms_log_fields()
 */
GString *
ms_log_plain_line_begin(void)
{
	char stamp[MS_LOG_STAMP_SIZE];
	GString *line;
	gsize start;

	if (line_prefix == NULL || to_journal || capture_func != NULL ||
	    g_atomic_int_get(&n_expected) != 0)
		return NULL;
	line = ms_log_batch_begin_line();
	if (line == NULL)
		return NULL;
	format_stamp(stamp);
	start = line->len;
	g_string_set_size(line, start + MS_LOG_STAMP_SIZE + line_prefix_length);
	memcpy(line->str + start, stamp, MS_LOG_STAMP_SIZE - 1);
	line->str[start + MS_LOG_STAMP_SIZE - 1] = ' ';
	memcpy(line->str + start + MS_LOG_STAMP_SIZE, line_prefix, line_prefix_length);
	return line;
}

/**
 * ms_log_plain_line_end:
 *
 * Ends a line begun with ms_log_plain_line_begin().
 */
void
ms_log_plain_line_end(void)
{
	ms_log_batch_end_line();
}

/**
 * ms_log_format_uint:
 * @value: e.g. a status or a duration
 * @buffer: where the text goes
 *
 * @value in decimal, for a log field. GLib formats integers only through
 * printf(), which costs a request's log line more than the rest of it together.
 *
 * Returns: (transfer none): the text, inside @buffer
 */
const char *
ms_log_format_uint(guint64 value, char buffer[MS_LOG_UINT_SIZE])
{
	char *p = buffer + MS_LOG_UINT_SIZE - 1;

	*p = '\0';
	do {
		*--p = (char)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	return p;
}

/**
 * ms_log_concat:
 * @buffer: where the text goes when it fits, e.g. on the stack
 * @size: @buffer's size
 * @heap: (out): the text when it does not fit, for the caller to free
 * @first: the first piece, then the others, then %NULL
 *
 * g_strconcat() without its malloc() and its second walk over the pieces when
 * the text fits in @buffer: a request's log line is made of a dozen pieces.
 *
 * Returns: (transfer none): the text, in @buffer or *@heap
 */
const char *
ms_log_concat(char *buffer, gsize size, char **heap, const char *first, ...)
{
	va_list args;
	const char *piece;
	gsize length = 0;
	GString *text;

	va_start(args, first);
	for (piece = first; piece != NULL; piece = va_arg(args, const char *)) {
		gsize n;

		/* a line's absent fields are empty pieces: not worth two calls each */
		if (*piece == '\0')
			continue;
		n = strlen(piece);

		if (n >= size - length)
			break;
		memcpy(buffer + length, piece, n);
		length += n;
	}
	va_end(args);
	if (piece == NULL) {
		buffer[length] = '\0';
		return buffer;
	}
	text = g_string_new_len(buffer, (gssize)length);
	va_start(args, first);
	for (const char *skip = first; skip != piece; skip = va_arg(args, const char *))
		;
	for (; piece != NULL; piece = va_arg(args, const char *))
		g_string_append(text, piece);
	va_end(args);
	*heap = g_string_free(text, FALSE);
	return *heap;
}

/**
 * ms_log_access_message:
 * @buffer: where the message is made when it fits
 * @heap: (out): set to an allocated copy when it does not; free it
 * @suffix: (nullable): added after the duration
 *
 * The message of an access entry, the services' and the gateway's alike:
 * "GET /hello 200 412µs", made without printf() (it runs for every request).
 *
 * Returns: (transfer none): the message, in @buffer or *@heap
 */
const char *
ms_log_access_message(char *buffer,
		      gsize size,
		      char **heap,
		      const char *method,
		      const char *path,
		      const char *status,
		      const char *duration_us,
		      const char *suffix)
{
	return ms_log_concat(buffer,
			     size,
			     heap,
			     method,
			     " ",
			     path,
			     " ",
			     status,
			     " ",
			     duration_us,
			     "µs",
			     suffix != NULL ? suffix : "",
			     NULL);
}
