#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "handlers/ms-calc-request.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/*
 * The calculator's request body decoders on arbitrary bytes: never a crash, every
 * refusal a MsCalcRequestError, every accepted operand finite.
 */
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
	} else if (error == NULL || error->domain != MS_CALC_REQUEST_ERROR) {
		abort();
	}
	expression = ms_calc_request_decode_expression((const char *)data,
						       size,
						       NULL,
						       &expression_error);
	if (expression == NULL &&
	    (expression_error == NULL || expression_error->domain != MS_CALC_REQUEST_ERROR))
		abort();
	if (expression != NULL && !g_utf8_validate(expression, -1, NULL))
		abort();
	return 0;
}
