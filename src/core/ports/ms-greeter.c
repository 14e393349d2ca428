/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-greeter.h"

#include "common/ms-i18n.h"

/* G_DEFINE_QUARK makes the name a string: spaces would be part of it */
/* clang-format off */
G_DEFINE_QUARK(ms-greeter-error-quark, ms_greeter_error)
/* clang-format on */
G_DEFINE_INTERFACE(MsGreeter, ms_greeter, G_TYPE_OBJECT)

/* greeters answer through a GTask whose source is the greeter, so one finish serves all */
static char *
ms_greeter_real_greet_finish(MsGreeter *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

static void
ms_greeter_default_init(MsGreeterInterface *iface)
{
	iface->greet_finish = ms_greeter_real_greet_finish;
}

/**
 * ms_greeter_get_name:
 *
 * Returns: the greeter's short name, e.g. "hello": its path and its part name
 */
const char *
ms_greeter_get_name(MsGreeter *self)
{
	g_return_val_if_fail(MS_IS_GREETER(self), NULL);
	return MS_GREETER_GET_IFACE(self)->get_name(self);
}

/**
 * ms_greeter_accepts_name:
 *
 * Returns: whether a `name` makes a difference to this greeter
 */
gboolean
ms_greeter_accepts_name(MsGreeter *self)
{
	MsGreeterInterface *iface;

	g_return_val_if_fail(MS_IS_GREETER(self), FALSE);
	iface = MS_GREETER_GET_IFACE(self);
	return iface->accepts_name != NULL ? iface->accepts_name(self) : TRUE;
}

/**
 * ms_greeter_validate_name:
 * @name: untrusted input
 * @language: the language of @error's message, which the client reads
 *
 * A name is valid UTF-8 of 1–64 characters with no control characters.
 */
gboolean
ms_greeter_validate_name(const char *name, const char *language, GError **error)
{
	glong length;

	if (!g_utf8_validate(name, -1, NULL)) {
		ms_i18n_set_error(error,
				  MS_GREETER_ERROR,
				  MS_GREETER_ERROR_INVALID_NAME,
				  language,
				  N_("name must be valid UTF-8"));
		return FALSE;
	}
	length = g_utf8_strlen(name, -1);
	if (length < 1 || length > MS_GREETER_NAME_MAX_CHARS) {
		ms_i18n_set_error(error,
				  MS_GREETER_ERROR,
				  MS_GREETER_ERROR_INVALID_NAME,
				  language,
				  N_("name must be 1 to %d characters"),
				  MS_GREETER_NAME_MAX_CHARS);
		return FALSE;
	}
	for (const char *p = name; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (g_unichar_iscntrl(c) || g_unichar_type(c) == G_UNICODE_FORMAT) {
			ms_i18n_set_error(error,
					  MS_GREETER_ERROR,
					  MS_GREETER_ERROR_INVALID_NAME,
					  language,
					  N_("name must not contain control characters"));
			return FALSE;
		}
	}
	return TRUE;
}

/**
 * ms_greeter_greet_async:
 * @name: (nullable): a name validated with ms_greeter_validate_name(), or %NULL
 * @language: the answer language, e.g. "th"
 * @request_id: (nullable): the id of the request this greeting serves; far
 *   greeters pass it on so one request can be followed across services
 */
void
ms_greeter_greet_async(MsGreeter *self,
		       const char *name,
		       const char *language,
		       const char *request_id,
		       GCancellable *cancellable,
		       GAsyncReadyCallback callback,
		       gpointer user_data)
{
	g_return_if_fail(MS_IS_GREETER(self));
	MS_GREETER_GET_IFACE(self)
		->greet_async(self, name, language, request_id, cancellable, callback, user_data);
}

/**
 * ms_greeter_greet_finish:
 *
 * Returns: (transfer full): the greeting message, or %NULL with @error set
 */
char *
ms_greeter_greet_finish(MsGreeter *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(MS_IS_GREETER(self), NULL);
	return MS_GREETER_GET_IFACE(self)->greet_finish(self, result, error);
}

/**
 * ms_greeter_answers_at_once:
 *
 * Returns: whether ms_greeter_greet() may be called: a near greeter that has its
 *   answer without waiting for anything
 */
gboolean
ms_greeter_answers_at_once(MsGreeter *self)
{
	g_return_val_if_fail(MS_IS_GREETER(self), FALSE);
	return MS_GREETER_GET_IFACE(self)->greet != NULL;
}

/**
 * ms_greeter_greet:
 *
 * What ms_greeter_greet_async() would answer, returned at once; only for a
 * greeter that ms_greeter_answers_at_once().
 *
 * Returns: (transfer full): the greeting message, or %NULL with @error set
 */
char *
ms_greeter_greet(MsGreeter *self,
		 const char *name,
		 const char *language,
		 const char *request_id,
		 GError **error)
{
	MsGreeterInterface *iface;

	g_return_val_if_fail(MS_IS_GREETER(self), NULL);
	/* the interface looked up once: this runs for every request */
	iface = MS_GREETER_GET_IFACE(self);
	g_return_val_if_fail(iface->greet != NULL, NULL);
	return iface->greet(self, name, language, request_id, error);
}
