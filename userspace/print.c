// SPDX-License-Identifier: GPL-2.0
/*
 * Text or JSON from the same calls (see print.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "print.h"

/*
 * FMT as "PREFIX%<CONV>SUFFIX" with one conversion, CONV: where it is
 * (then *SUFFIX is set), else NULL.  Such formats, the most common,
 * are written without printf, which costs more than the rest of a row.
 */
static const char *one_conv(const char *fmt, const char *conv,
			    const char **suffix)
{
	const char *pct = strchr(fmt, '%');
	size_t n = strlen(conv);

	if (!pct || strncmp(pct + 1, conv, n) || strchr(pct + 1 + n, '%'))
		return NULL;
	*suffix = pct + 1 + n;
	return pct;
}

static void put_u64(FILE *out, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	fwrite(p, 1, buf + sizeof(buf) - p, out);
}

void pr_init(struct pr *p, FILE *out, bool json)
{
	p->out = out;
	p->json = json;
	json_init(&p->j, out);
	p->layout = PR_COLS;
	p->cols = 0;
	p->per = 0;
}

void pr_end(struct pr *p)
{
	if (p->json) {
		json_end(&p->j);
		json_init(&p->j, p->out);
	}
	fflush(p->out);
}

static bool text(const struct pr *p, int mode)
{
	return !p->json && (mode & PR_TEXT);
}

static bool js(const struct pr *p, int mode)
{
	return p->json && (mode & PR_JSON);
}

void pr_list_open(struct pr *p, const char *key)
{
	if (p->json)
		json_arr_open(&p->j, key);
}

void pr_list_close(struct pr *p)
{
	if (p->json)
		json_arr_close(&p->j);
}

void pr_obj_open(struct pr *p, int mode, const char *key, const char *txt)
{
	if (js(p, mode))
		json_obj_open(&p->j, key);
	else if (text(p, mode) && txt)
		fputs(txt, p->out);
}

void pr_obj_close(struct pr *p, int mode, const char *txt)
{
	if (js(p, mode))
		json_obj_close(&p->j);
	else if (text(p, mode) && txt)
		fputs(txt, p->out);
}

void pr_row_open(struct pr *p)
{
	if (p->json)
		json_obj_open(&p->j, NULL);
}

void pr_row_close(struct pr *p)
{
	if (p->json)
		json_obj_close(&p->j);
	else if (p->layout != PR_LINES)
		fputc('\n', p->out);
	p->cols = 0;
}

void pr_str(struct pr *p, int mode, const char *key, const char *fmt,
	    const char *val)
{
	const char *pct, *suffix;

	if (js(p, mode)) {
		json_str(&p->j, key, val);
	} else if (!text(p, mode)) {
		return;
	} else if (!fmt) {
		fputs(val, p->out);
	} else if ((pct = one_conv(fmt, "s", &suffix))) {
		fwrite(fmt, 1, pct - fmt, p->out);
		fputs(val, p->out);
		fputs(suffix, p->out);
	} else {
		fprintf(p->out, fmt, val);
	}
}

void pr_u64(struct pr *p, int mode, const char *key, const char *fmt,
	    uint64_t val)
{
	const char *pct, *suffix;

	if (js(p, mode)) {
		json_u64(&p->j, key, val);
	} else if (!text(p, mode)) {
		return;
	} else if (!fmt) {
		put_u64(p->out, val);
	} else if ((pct = one_conv(fmt, PRIu64, &suffix))) {
		fwrite(fmt, 1, pct - fmt, p->out);
		put_u64(p->out, val);
		fputs(suffix, p->out);
	} else {
		fprintf(p->out, fmt, val);
	}
}

void pr_f64(struct pr *p, int mode, const char *key, const char *fmt,
	    double val)
{
	if (js(p, mode))
		json_f64(&p->j, key, val);
	else if (text(p, mode))
		fprintf(p->out, fmt ? fmt : "%g", val);
}

void pr_bool(struct pr *p, int mode, const char *key, const char *fmt,
	     bool val)
{
	if (js(p, mode))
		json_bool(&p->j, key, val);
	else if (text(p, mode))
		fprintf(p->out, fmt ? fmt : "%s", val ? "yes" : "no");
}

void pr_text(struct pr *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	vfprintf(p->out, fmt, ap);
	va_end(ap);
}

void pr_cell(struct pr *p, const char *key, int width, const char *val)
{
	if (!p->json)
		fprintf(p->out, "%*s ", -width, val);
	else if (key)
		json_str(&p->j, key, val);
}

void pr_cell_u64(struct pr *p, const char *key, int width, uint64_t val)
{
	if (!p->json)
		fprintf(p->out, "%*" PRIu64 " ", -width, val);
	else if (key)
		json_u64(&p->j, key, val);
}

/* The width of a record in full's labels, their indent included. */
#define LABEL_WIDTH 24

/* A line of a record in full: LABEL, INDENT spaces in, then VAL. */
static void line(struct pr *p, int indent, const char *label, const char *val)
{
	fprintf(p->out, "%*s%-*s %s\n", indent, "", LABEL_WIDTH - indent, label,
		val);
}

/* The text of pr_col(), by the layout: a line, a title or a column. */
static void col_text(struct pr *p, const char *key, int width,
		     const char *val)
{
	char title[32];
	size_t i;

	if (p->layout == PR_LINES) {
		line(p, 2, key, val);
		return;
	}
	if (!width)
		return;
	if (p->cols++)
		fputc(' ', p->out);
	if (p->layout == PR_HEAD) {
		for (i = 0; key[i] && i + 1 < sizeof(title); i++)
			title[i] = key[i] == '_' ? '-' :
				   key[i] >= 'a' && key[i] <= 'z' ?
				   key[i] - 'a' + 'A' : key[i];
		title[i] = '\0';
		val = title;
	}
	fprintf(p->out, "%*s", width, val);
}

void pr_col(struct pr *p, const char *key, int width, const char *val)
{
	if (p->json)
		json_str(&p->j, key, val);
	else
		col_text(p, key, width, val);
}

void pr_col_u64(struct pr *p, const char *key, int width, uint64_t val)
{
	char buf[24];

	if (p->json) {
		json_u64(&p->j, key, val);
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, val);
	col_text(p, key, width, buf);
}

void pr_col_count(struct pr *p, const char *key, int width, uint64_t val)
{
	char buf[32];

	if (!p->per) {
		pr_col_u64(p, key, width, val);
	} else if (p->json) {
		json_u64(&p->j, key, (uint64_t)(val / p->per + 0.5));
	} else {
		snprintf(buf, sizeof(buf), "%.1f%s", val / p->per,
			 p->layout == PR_LINES ? "/s" : "");
		col_text(p, key, width, buf);
	}
}

void pr_line_u64(struct pr *p, int mode, const char *key, const char *label,
		 uint64_t val)
{
	char buf[24];

	if (js(p, mode)) {
		json_u64(&p->j, key, val);
	} else if (text(p, mode)) {
		snprintf(buf, sizeof(buf), "%" PRIu64, val);
		line(p, 4, label, buf);
	}
}
