#include "config.h"

#include "ms-log.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/*
 * One writer for every binary. GLib's default writer drops info entries unless
 * G_MESSAGES_DEBUG is set, but an access log is info: so under journald every
 * entry but debug goes to the journal, and elsewhere one readable line goes to stderr.
 */

#define MS_LOG_MAX_FIELDS 32

static char *log_identifier;
static MsLogCaptureFunc capture_func;
static gpointer capture_data;
static gsize writer_once;
static gboolean to_journal;
static gboolean debug_enabled;

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

/* glibc no longer caches getpid(): one syscall per line saved; no binary forks */
static pid_t
log_pid(void)
{
	static pid_t pid;

	if (pid == 0)
		pid = getpid();
	return pid;
}

/*
 * hour:minute:second.millis, local time. A gateway writes a line per request:
 * localtime_r() once a second is far cheaper than a GDateTime per line.
 */
static void
format_stamp(char *out, gsize size)
{
	static __thread time_t cached_second = -1;
	static __thread char cached[10];
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != cached_second) {
		struct tm tm;
		localtime_r(&now.tv_sec, &tm);
		strftime(cached, sizeof cached, "%H:%M:%S", &tm);
		cached_second = now.tv_sec;
	}
	g_snprintf(out, size, "%s.%03ld", cached, now.tv_nsec / 1000000);
}

/* " KEY=VALUE" for a field the entry has, "" otherwise: a printf argument pair */
#define OPTIONAL_FIELD(value, key) \
	(value) != NULL ? " " key "=" : "", (value) != NULL ? (value) : ""

static void
write_stderr_line(GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
	const char *message = field_string(fields, n_fields, "MESSAGE");
	const char *ident = field_string(fields, n_fields, "SYSLOG_IDENTIFIER");
	/*
	 * without the journal these fields would be lost: a request is found by its
	 * X-Request-ID, and the gateway's by where it went. The upstream goes last: an
	 * aggregation route's ("hello, world") has a space in it.
	 */
	const char *request_id = field_string(fields, n_fields, "REQUEST_ID");
	const char *route = field_string(fields, n_fields, "ROUTE");
	const char *upstream = field_string(fields, n_fields, "UPSTREAM");
	const char *tag = "";
	char stamp[16];
	g_autofree char *line = NULL;
	gsize length;

	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		tag = "CRITICAL: ";
	else if (level & G_LOG_LEVEL_WARNING)
		tag = "WARNING: ";

	format_stamp(stamp, sizeof stamp);
	/*
	 * stderr is unbuffered: fprintf() there costs a write() per piece (a dozen per
	 * line). One line, one write, also keeps lines of several threads whole.
	 */
	line = g_strdup_printf("%s %s[%d]: %s%s%s%s%s%s%s%s\n",
			       stamp,
			       ident != NULL ? ident : ms_log_get_identifier(),
			       (int)log_pid(),
			       tag,
			       message != NULL ? message : "",
			       OPTIONAL_FIELD(request_id, "id"),
			       OPTIONAL_FIELD(route, "route"),
			       OPTIONAL_FIELD(upstream, "upstream"));
	length = strlen(line);
	for (gsize done = 0; done < length;) {
		gssize n = write(STDERR_FILENO, line + done, length - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (gsize)n;
	}
}

static GLogWriterOutput
ms_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	if (capture_func != NULL)
		capture_func(level, fields, n_fields, capture_data);

	if ((level & G_LOG_LEVEL_DEBUG) && !debug_enabled)
		return G_LOG_WRITER_HANDLED;

	if (to_journal &&
	    g_log_writer_journald(level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;

	write_stderr_line(level, fields, n_fields);
	if (level & G_LOG_LEVEL_ERROR)
		G_BREAKPOINT();
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

void
ms_log_fields_full(GLogLevelFlags level,
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
	g_autofree char *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);

	fields[n++] = (GLogField){ "MESSAGE", message, -1 };
	fields[n++] = (GLogField){ "PRIORITY", level_priority(level), -1 };
	fields[n++] = (GLogField){ "SYSLOG_IDENTIFIER", ms_log_get_identifier(), -1 };
	fields[n++] = (GLogField){ "CODE_FILE", file, -1 };
	fields[n++] = (GLogField){ "CODE_LINE", line, -1 };
	fields[n++] = (GLogField){ "CODE_FUNC", func, -1 };
	for (gsize i = 0; i < n_extra && n < MS_LOG_MAX_FIELDS; i++) {
		if (extra[i].value == NULL)
			continue;
		fields[n++] = (GLogField){ extra[i].key, extra[i].value, -1 };
	}
	g_log_structured_array(level, fields, n);
}
