/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <string.h>

#include <glib.h>

G_BEGIN_DECLS

/*
 * g_string_append() for the pieces of a head. GLib before 2.76 takes every
 * append through its general insertion, about a hundred instructions a piece,
 * and a head is some two dozen pieces; a reused buffer keeps its size, so a
 * piece is nearly always copied into room it already has, for a fifth of that.
 * The front's answers and the upstream requests are written with these.
 */
static inline void
ms_head_put_len(GString *out, const char *text, gsize length)
{
	if (G_LIKELY(out->allocated_len - out->len > length)) {
		memcpy(out->str + out->len, text, length);
		out->len += length;
		/* GString keeps a NUL after its bytes */
		out->str[out->len] = '\0';
	} else {
		g_string_append_len(out, text, (gssize)length);
	}
}

static inline void
ms_head_put(GString *out, const char *text)
{
	ms_head_put_len(out, text, strlen(text));
}

G_END_DECLS
