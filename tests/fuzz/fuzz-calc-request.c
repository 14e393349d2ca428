/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "handlers/ms-calc-request.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/*
 * The calculator's request body decoders on arbitrary bytes: never a crash, every
 * refusal a MsCalcRequestError whose message is valid UTF-8 (it becomes a problem
 * detail), every accepted operand finite, every accepted expression valid UTF-8.
 */
static void
check_error(const GError *error)
{
	if (error == NULL || error->domain != MS_CALC_REQUEST_ERROR ||
	    !g_utf8_validate(error->message, -1, NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) expression_error = NULL;
	g_autofree char *expression = NULL;
	double a = 0, b = 0;

	if (size > MS_CALC_REQUEST_MAX_BODY)
		return 0;
	if (ms_calc_request_decode_operands((const char *)data, size, NULL, &a, &b, &error)) {
		if (!isfinite(a) || !isfinite(b))
			abort();
	} else {
		check_error(error);
	}
	expression = ms_calc_request_decode_expression((const char *)data,
						       size,
						       NULL,
						       &expression_error);
	if (expression == NULL)
		check_error(expression_error);
	if (expression != NULL && !g_utf8_validate(expression, -1, NULL))
		abort();
	return 0;
}
