/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The greeter port: something that greets, near (a service in this process) or far
 * (an HTTP adapter calling another service). Asynchronous, because far ones are;
 * a near one may also answer at once, which spares an HTTP handler pausing its
 * message for an answer that is already there.
 */
#define MS_TYPE_GREETER (ms_greeter_get_type())
G_DECLARE_INTERFACE(MsGreeter, ms_greeter, MS, GREETER, GObject)

#define MS_GREETER_ERROR (ms_greeter_error_quark())

typedef enum {
	MS_GREETER_ERROR_INVALID_NAME, /* the name is not acceptable: a client error */
	MS_GREETER_ERROR_UNAVAILABLE,  /* a far greeter could not be reached */
	MS_GREETER_ERROR_TIMED_OUT,    /* a far greeter did not answer in time */
	MS_GREETER_ERROR_BAD_RESPONSE, /* a far greeter answered something unusable */
} MsGreeterError;

#define MS_GREETER_NAME_MAX_CHARS 64

struct _MsGreeterInterface {
	GTypeInterface parent_iface;

	/*
	 * The name, whether names are accepted and whether greet is there are fixed for
	 * a greeter's life: an HTTP handler asks once, when it is registered.
	 */
	const char *(*get_name)(MsGreeter *self);
	gboolean (*accepts_name)(MsGreeter *self);
	void (*greet_async)(MsGreeter *self,
			    const char *name,
			    const char *language,
			    const char *request_id,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data);
	/* (optional): by default, the GTask that greet_async made with @self as source */
	char *(*greet_finish)(MsGreeter *self, GAsyncResult *result, GError **error);
	/* (optional): the same answer as greet_async, at once; near greeters only */
	char *(*greet)(MsGreeter *self,
		       const char *name,
		       const char *language,
		       const char *request_id,
		       GError **error);
};

GQuark
ms_greeter_error_quark(void);
const char *
ms_greeter_get_name(MsGreeter *self);
gboolean
ms_greeter_accepts_name(MsGreeter *self);
gboolean
ms_greeter_validate_name(const char *name, const char *language, GError **error);
void
ms_greeter_greet_async(MsGreeter *self,
		       const char *name,
		       const char *language,
		       const char *request_id,
		       GCancellable *cancellable,
		       GAsyncReadyCallback callback,
		       gpointer user_data);
char *
ms_greeter_greet_finish(MsGreeter *self, GAsyncResult *result, GError **error);
gboolean
ms_greeter_answers_at_once(MsGreeter *self);
char *
ms_greeter_greet(MsGreeter *self,
		 const char *name,
		 const char *language,
		 const char *request_id,
		 GError **error);

G_END_DECLS
