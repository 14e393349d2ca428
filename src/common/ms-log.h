/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* a log field whose value is a string; the MESSAGE field itself is formatted */
typedef struct {
	const char *key;
	const char *value;
} MsLogField;

/* called with every entry when set: tests assert on fields through it */
typedef void (*MsLogCaptureFunc)(GLogLevelFlags level,
				 const GLogField *fields,
				 gsize n_fields,
				 gpointer user_data);

void
ms_log_init(const char *syslog_identifier);
const char *
ms_log_get_identifier(void);
void
ms_log_set_capture(MsLogCaptureFunc func, gpointer user_data);
void
ms_log_expect_message(GLogLevelFlags level, const char *pattern);
void
ms_log_assert_expected_messages(void);

GString *
ms_log_plain_line_begin(void);
void
ms_log_plain_line_end(void);

/* room for any guint64 in decimal, and its NUL */
#define MS_LOG_UINT_SIZE 21
const char *
ms_log_format_uint(guint64 value, char buffer[MS_LOG_UINT_SIZE]);

const char *
ms_log_concat(char *buffer, gsize size, char **heap, const char *first, ...) G_GNUC_NULL_TERMINATED;
const char *
ms_log_access_message(char *buffer,
		      gsize size,
		      char **heap,
		      const char *method,
		      const char *path,
		      const char *status,
		      const char *duration_us,
		      const char *suffix);

void
ms_log_fields_full(GLogLevelFlags level,
		   const char *domain,
		   const char *file,
		   const char *line,
		   const char *func,
		   const MsLogField *extra,
		   gsize n_extra,
		   const char *format,
		   ...) G_GNUC_PRINTF(8, 9);

/*
 * ms_log_fields: one structured entry with CODE_* and GLIB_DOMAIN (the caller's
 * G_LOG_DOMAIN, which each library's meson.build sets) filled in, and extra string
 * fields. Only the message is a printf format: extra values are plain strings.
 */
#define ms_log_fields(level, extra, n_extra, ...) \
	ms_log_fields_full((level),               \
			   G_LOG_DOMAIN,          \
			   __FILE__,              \
			   G_STRINGIFY(__LINE__), \
			   G_STRFUNC,             \
			   (extra),               \
			   (n_extra),             \
			   __VA_ARGS__)

#define ms_info(...)    ms_log_fields(G_LOG_LEVEL_INFO, NULL, 0, __VA_ARGS__)
#define ms_message(...) ms_log_fields(G_LOG_LEVEL_MESSAGE, NULL, 0, __VA_ARGS__)
#define ms_warning(...) ms_log_fields(G_LOG_LEVEL_WARNING, NULL, 0, __VA_ARGS__)

G_END_DECLS
