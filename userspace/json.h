/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer for the tools' --json output.
 */
#ifndef VALLEY_USER_JSON_H
#define VALLEY_USER_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	int depth;
	bool first[JSON_MAX_DEPTH];	/* nothing written yet at this depth */
};

void json_init(struct json *j, FILE *out);
/* Objects and arrays; KEY is NULL inside arrays and at the top. */
void json_obj_open(struct json *j, const char *key);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_f64(struct json *j, const char *key, double val);
/* Ends the document with a newline. */
void json_end(struct json *j);

#endif
