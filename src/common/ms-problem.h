/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define MS_PROBLEM_TYPE_PREFIX "urn:microsoup:problem:"

JsonNode *
ms_problem_new(guint status,
	       const char *type,
	       const char *title,
	       const char *detail,
	       const char *instance,
	       const char *request_id);
JsonNode *
ms_problem_new_translated(const char *language,
			  guint status,
			  const char *type,
			  const char *title,
			  const char *detail_format,
			  const char *subject);
JsonNode *
ms_problem_new_for_request(const char *language,
			   guint status,
			   const char *type,
			   const char *title,
			   const char *detail,
			   const char *path,
			   const char *request_id);
void
ms_problem_send(SoupServerMessage *msg,
		guint status,
		const char *type,
		const char *title,
		const char *detail);
void
ms_problem_sendf(SoupServerMessage *msg,
		 guint status,
		 const char *type,
		 const char *title,
		 const char *detail_format,
		 ...) G_GNUC_PRINTF(5, 6);
void
ms_problem_send_not_found(SoupServerMessage *msg, const char *path);
void
ms_problem_send_method_not_allowed(SoupServerMessage *msg, const char *allowed);

G_END_DECLS
