/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-phrase-greeter.h"

#include "common/ms-i18n.h"

/*
 * The hello, world and goodbye services: each says one phrase, with or without a
 * name, in the caller's language. They differ only in their phrases, so they are one
 * type with three constructors rather than three copies.
 */
struct _MsPhraseGreeter {
	GObject parent_instance;
	char *name;
	const char *phrase;           /* msgid, e.g. "Hello!" */
	const char *phrase_with_name; /* msgid with one %s, or NULL: name ignored */
};

static void
ms_phrase_greeter_iface_init(MsGreeterInterface *iface);

G_DEFINE_TYPE_WITH_CODE(MsPhraseGreeter,
			ms_phrase_greeter,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(MS_TYPE_GREETER, ms_phrase_greeter_iface_init))

static const char *
ms_phrase_greeter_get_name(MsGreeter *greeter)
{
	return MS_PHRASE_GREETER(greeter)->name;
}

static gboolean
ms_phrase_greeter_accepts_name(MsGreeter *greeter)
{
	return MS_PHRASE_GREETER(greeter)->phrase_with_name != NULL;
}

static char *
phrase_render(MsPhraseGreeter *self, const char *name, const char *language)
{
	if (name == NULL || self->phrase_with_name == NULL)
		return g_strdup(ms_i18n_gettext(language, self->phrase));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	return g_strdup_printf(ms_i18n_gettext(language, self->phrase_with_name), name);
#pragma GCC diagnostic pop
}

static char *
ms_phrase_greeter_greet(MsGreeter *greeter,
			const char *name,
			const char *language,
			const char *request_id,
			GError **error)
{
	if (name != NULL && !ms_greeter_validate_name(name, language, error))
		return NULL;
	return phrase_render(MS_PHRASE_GREETER(greeter), name, language);
}

static void
ms_phrase_greeter_greet_async(MsGreeter *greeter,
			      const char *name,
			      const char *language,
			      const char *request_id,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(greeter, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	char *message;

	g_task_set_source_tag(task, ms_phrase_greeter_greet_async);
	message = ms_phrase_greeter_greet(greeter, name, language, request_id, &error);
	if (message == NULL)
		g_task_return_error(task, g_steal_pointer(&error));
	else
		g_task_return_pointer(task, message, g_free);
}

static void
ms_phrase_greeter_iface_init(MsGreeterInterface *iface)
{
	iface->get_name = ms_phrase_greeter_get_name;
	iface->accepts_name = ms_phrase_greeter_accepts_name;
	iface->greet_async = ms_phrase_greeter_greet_async;
	iface->greet = ms_phrase_greeter_greet;
}

static void
ms_phrase_greeter_finalize(GObject *object)
{
	g_free(MS_PHRASE_GREETER(object)->name);
	G_OBJECT_CLASS(ms_phrase_greeter_parent_class)->finalize(object);
}

static void
ms_phrase_greeter_class_init(MsPhraseGreeterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_phrase_greeter_finalize;
}

static void
ms_phrase_greeter_init(MsPhraseGreeter *self)
{
}

/**
 * ms_phrase_greeter_new:
 * @phrase: static English msgid said without a name
 * @phrase_with_name: (nullable): static English msgid with one `%s` for the name
 */
MsGreeter *
ms_phrase_greeter_new(const char *name, const char *phrase, const char *phrase_with_name)
{
	MsPhraseGreeter *self = g_object_new(MS_TYPE_PHRASE_GREETER, NULL);

	self->name = g_strdup(name);
	self->phrase = phrase;
	self->phrase_with_name = phrase_with_name;
	return MS_GREETER(self);
}

MsGreeter *
ms_hello_service_new(void)
{
	return ms_phrase_greeter_new("hello", N_("Hello!"), N_("Hello, %s!"));
}

MsGreeter *
ms_world_service_new(void)
{
	return ms_phrase_greeter_new("world", N_("World!"), NULL);
}

MsGreeter *
ms_goodbye_service_new(void)
{
	return ms_phrase_greeter_new("goodbye", N_("Goodbye!"), N_("Goodbye, %s!"));
}
