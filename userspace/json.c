// SPDX-License-Identifier: GPL-2.0
/*
 * A small streaming JSON writer: values are written as they come, commas
 * and nesting are tracked per depth.
 */
#include <inttypes.h>

#include "json.h"

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->first[0] = true;
}

static void put_string(FILE *out, const char *s)
{
	const unsigned char *p;

	fputc('"', out);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

/* Comma and key before a value at the current depth. */
static void member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = false;
	if (key) {
		put_string(j->out, key);
		fputc(':', j->out);
	}
}

static void begin(struct json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->out);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void finish(struct json *j, char c)
{
	fputc(c, j->out);
	if (j->depth > 0)
		j->depth--;
}

void json_obj_open(struct json *j, const char *key)
{
	begin(j, key, '{');
}

void json_obj_close(struct json *j)
{
	finish(j, '}');
}

void json_arr_open(struct json *j, const char *key)
{
	begin(j, key, '[');
}

void json_arr_close(struct json *j)
{
	finish(j, ']');
}

void json_str(struct json *j, const char *key, const char *val)
{
	member(j, key);
	put_string(j->out, val);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	member(j, key);
	fprintf(j->out, "%" PRIu64, val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->out);
}

void json_f64(struct json *j, const char *key, double val)
{
	member(j, key);
	fprintf(j->out, "%.9g", val);
}

void json_end(struct json *j)
{
	fputc('\n', j->out);
	fflush(j->out);
}
