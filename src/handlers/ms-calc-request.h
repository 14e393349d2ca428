/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Decoding of the calculator's request bodies, apart from libsoup so the fuzzer can
 * reach it: exactly the expected fields, of the expected types, nothing else.
 */

#define MS_CALC_REQUEST_MAX_BODY (64 * 1024)

#define MS_CALC_REQUEST_ERROR (ms_calc_request_error_quark())

typedef enum {
	MS_CALC_REQUEST_ERROR_NOT_JSON,
	MS_CALC_REQUEST_ERROR_NOT_OBJECT,
	MS_CALC_REQUEST_ERROR_MISSING_FIELD,
	MS_CALC_REQUEST_ERROR_WRONG_TYPE,
	MS_CALC_REQUEST_ERROR_UNKNOWN_FIELD,
	MS_CALC_REQUEST_ERROR_OUT_OF_RANGE,
	MS_CALC_REQUEST_ERROR_DUPLICATE_FIELD,
} MsCalcRequestError;

GQuark
ms_calc_request_error_quark(void);
gboolean
ms_calc_request_decode_operands(const char *data,
				gsize length,
				const char *language,
				double *a,
				double *b,
				GError **error);
char *
ms_calc_request_decode_expression(const char *data,
				  gsize length,
				  const char *language,
				  GError **error);

G_END_DECLS
