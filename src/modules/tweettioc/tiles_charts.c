/* tiles_charts.c: turns the tile counts into SecureX metric group, donut and bar chart JSON.
 *
 * The shapes follow the tiles Cisco's own relays publish (guardduty,
 * exabeam, meraki): bar values are segments keyed by the chart's `keys`,
 * and every bar's segments add up to the bar's value so stacked bars and
 * totals agree. A bar's link goes on its segments (`values[].link_uri`),
 * where the published bar charts put it; a donut's entries carry
 * `segments` indexing the second label row, as
 * CiscoSecurity/tr-05-serverless-guardduty code/api/tiles/affected_instances.py
 * builds them (its events_per_day.py is the stacked bar shape).
 */
#include "modules/tweettioc/tiles_charts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctim/entities.h"
#include "modules/tweettioc/tiles_markdown.h"
#include "ctim/uri.h"

#define TWITTER_BASE "https://twitter.com"
/* Longest account name shown on a bar, in characters. */
#define ACCOUNT_LABEL_CHARS 50
/* Longest hashtag shown on a bar, in UTF-16 units. */
#define HASHTAG_LABEL_UNITS 140

/* Adds a new object to `array` and returns it, or NULL when out of memory. */
static cJSON *push_object(cJSON *array)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToArray(array, o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Adds a new array named `name` to `obj`, or NULL. */
static cJSON *add_array(cJSON *obj, const char *name)
{
	return cJSON_AddArrayToObject(obj, name);
}

static int add_key(cJSON *keys, const char *key, const char *label)
{
	cJSON *k = push_object(keys);
	return k && cJSON_AddStringToObject(k, "key", key) &&
			       cJSON_AddStringToObject(k, "label", label)
		       ? 0
		       : -1;
}

static int add_link(cJSON *obj, const char *base, const char *name);

/* One segment of a bar; with a link_uri = base + escaped(name) when base
 * is not NULL. */
static int add_segment_link(cJSON *values, const char *key, size_t value, const char *tooltip,
			    const char *base, const char *name)
{
	cJSON *v = push_object(values);
	return v && cJSON_AddStringToObject(v, "key", key) &&
			       cJSON_AddNumberToObject(v, "value", (double)value) &&
			       cJSON_AddStringToObject(v, "tooltip", tooltip) &&
			       (!base || add_link(v, base, name) == 0)
		       ? 0
		       : -1;
}

static int add_segment(cJSON *values, const char *key, size_t value, const char *tooltip)
{
	return add_segment_link(values, key, value, tooltip, NULL, NULL);
}

static int add_metric(cJSON *data, const char *icon, const char *label, size_t value)
{
	cJSON *m = push_object(data);
	return m && cJSON_AddStringToObject(m, "icon", icon) &&
			       cJSON_AddStringToObject(m, "label", label) &&
			       cJSON_AddNumberToObject(m, "value", (double)value) &&
			       cJSON_AddStringToObject(m, "value_unit", "integer")
		       ? 0
		       : -1;
}

int tiles_chart_summary(cJSON *tile, const struct tiles_summary *s)
{
	/* "warning" is the icon Cisco's relays use for findings; it marks the
	 * IOC counts, the plain counts use the same to keep one look. */
	cJSON *data = add_array(tile, "data");
	if (!data || add_metric(data, "warning", "Tweets", s->tweets) != 0 ||
	    add_metric(data, "warning", "Distinct IOCs", s->distinct_iocs) != 0 ||
	    add_metric(data, "warning", "Accounts", s->accounts) != 0)
		return -1;
	for (int t = 0; t < TILES_IOC__MAX; t++)
		if (add_metric(data, "warning", tiles_ioc_types[t].plural,
			       s->distinct_by_type[t]) != 0)
			return -1;
	return 0;
}

int tiles_chart_ioc_types(cJSON *tile, const struct tiles_summary *s)
{
	cJSON *headers = add_array(tile, "label_headers");
	cJSON *labels = add_array(tile, "labels");
	cJSON *names = labels ? cJSON_CreateArray() : NULL;
	if (!headers || !labels || !names || !cJSON_AddItemToArray(labels, names)) {
		cJSON_Delete(names);
		return -1;
	}
	/* Two rings as the published donuts have: IOC types, and each type's
	 * single segment (the same labels). */
	cJSON *inner = cJSON_CreateArray();
	if (!inner || !cJSON_AddItemToArray(labels, inner)) {
		cJSON_Delete(inner);
		return -1;
	}
	for (int h = 0; h < 2; h++) {
		cJSON *header = cJSON_CreateString("IOC type");
		if (!header || !cJSON_AddItemToArray(headers, header)) {
			cJSON_Delete(header);
			return -1;
		}
	}
	cJSON *data = add_array(tile, "data");
	if (!data)
		return -1;
	int index = 0;
	for (int t = 0; t < TILES_IOC__MAX; t++) {
		size_t v = s->distinct_by_type[t];
		if (v == 0)
			continue;
		char tooltip[128];
		snprintf(tooltip, sizeof(tooltip), "%s: %zu distinct IOC%s (%.0f%%)",
			 tiles_ioc_types[t].label, v, v == 1 ? "" : "s",
			 100.0 * (double)v / (double)s->distinct_iocs);
		for (int ring = 0; ring < 2; ring++) {
			cJSON *name = cJSON_CreateString(tiles_ioc_types[t].label);
			if (!name || !cJSON_AddItemToArray(ring ? inner : names, name)) {
				cJSON_Delete(name);
				return -1;
			}
		}
		cJSON *d = push_object(data), *segments, *seg;
		if (!d || !cJSON_AddNumberToObject(d, "key", index) ||
		    !cJSON_AddNumberToObject(d, "value", (double)v) ||
		    !cJSON_AddStringToObject(d, "tooltip", tooltip) ||
		    !(segments = add_array(d, "segments")) || !(seg = push_object(segments)) ||
		    !cJSON_AddNumberToObject(seg, "key", index) ||
		    !cJSON_AddNumberToObject(seg, "value", (double)v))
			return -1;
		index++;
	}
	return 0;
}

/* Adds key_type and the keys of the segment types present (display order). */
static int add_type_keys(cJSON *tile, const char *key_type, const int present[TILES_IOC__MAX + 1])
{
	cJSON *keys = add_array(tile, "keys");
	if (!keys || !cJSON_AddStringToObject(tile, "key_type", key_type))
		return -1;
	for (int t = 0; t <= TILES_IOC__MAX; t++)
		if (present[t] &&
		    add_key(keys, tiles_ioc_types[t].key, tiles_ioc_types[t].label) != 0)
			return -1;
	return 0;
}

int tiles_chart_activity(cJSON *tile, const struct tiles_day *days, size_t n)
{
	int present[TILES_IOC__MAX + 1] = {0};
	for (size_t d = 0; d < n; d++)
		for (int t = 0; t <= TILES_IOC__MAX; t++)
			present[t] |= days[d].by_type[t] > 0;
	cJSON *data;
	if (add_type_keys(tile, "timestamp", present) != 0 || !(data = add_array(tile, "data")))
		return -1;
	for (size_t d = 0; d < n; d++) {
		char label[32], tooltip[128];
		time_t secs = (time_t)days[d].start;
		struct tm tm;
		gmtime_r(&secs, &tm);
		strftime(label, sizeof(label), "%b %d", &tm);
		cJSON *bar = push_object(data), *values;
		if (!bar || !cJSON_AddNumberToObject(bar, "key", days[d].start * 1000.0) ||
		    !cJSON_AddStringToObject(bar, "label", label) ||
		    !cJSON_AddNumberToObject(bar, "value", (double)days[d].tweets) ||
		    !(values = add_array(bar, "values")))
			return -1;
		for (int t = 0; t <= TILES_IOC__MAX; t++) {
			if (!present[t])
				continue;
			size_t v = days[d].by_type[t];
			snprintf(tooltip, sizeof(tooltip), "%s, %s: %zu tweet%s", label,
				 tiles_ioc_types[t].label, v, v == 1 ? "" : "s");
			if (add_segment(values, tiles_ioc_types[t].key, v, tooltip) != 0)
				return -1;
		}
	}
	return 0;
}

/* Adds link_uri = base + escaped(name) to a bar segment; nothing when the
 * result would not be a valid URI (uri.h). */
static int add_link(cJSON *bar, const char *base, const char *name)
{
	char *escaped = uri_escape(name);
	if (!escaped)
		return -1;
	size_t len = strlen(base) + strlen(escaped) + 1;
	char *uri = malloc(len);
	int ok = uri != NULL;
	if (ok) {
		snprintf(uri, len, "%s%s", base, escaped);
		ok = !uri_valid_http(uri) || cJSON_AddStringToObject(bar, "link_uri", uri) != NULL;
	}
	free(uri);
	free(escaped);
	return ok ? 0 : -1;
}

/* One account's bar; `name` is the account name cut for display. */
static int account_bar(cJSON *data, const struct tiles_rank *r, const char *name,
		       const int present[TILES_IOC__MAX + 1])
{
	size_t len = strlen(name) + 2;
	char *label = malloc(len), *tooltip = malloc(len + 64);
	cJSON *bar = NULL, *values = NULL;
	int ok = label && tooltip;
	if (ok) {
		snprintf(label, len, "@%s", name);
		bar = push_object(data);
	}
	ok = bar && cJSON_AddStringToObject(bar, "key", name) &&
	     cJSON_AddStringToObject(bar, "label", label) &&
	     cJSON_AddNumberToObject(bar, "value", (double)r->value) &&
	     (values = add_array(bar, "values"));
	const char *base = tiles_twitter_handle(r->label) ? TWITTER_BASE "/" : NULL;
	for (int t = 0; ok && t < TILES_IOC__MAX; t++) {
		if (!present[t])
			continue;
		size_t v = r->by_type[t];
		snprintf(tooltip, len + 64, "%s, %s: %zu IOC%s", label, tiles_ioc_types[t].label, v,
			 v == 1 ? "" : "s");
		ok = add_segment_link(values, tiles_ioc_types[t].key, v, tooltip, base, r->label) ==
		     0;
	}
	free(label);
	free(tooltip);
	return ok ? 0 : -1;
}

int tiles_chart_accounts(cJSON *tile, const struct tiles_rank *rank, size_t n)
{
	int present[TILES_IOC__MAX + 1] = {0};
	for (size_t i = 0; i < n; i++)
		for (int t = 0; t < TILES_IOC__MAX; t++)
			present[t] |= rank[i].by_type[t] > 0;
	cJSON *data;
	if (add_type_keys(tile, "string", present) != 0 || !(data = add_array(tile, "data")))
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* Feed account names are not checked as handles: cut them on a
		 * character boundary before they become labels. */
		char *name = ctim_truncate(rank[i].label, ACCOUNT_LABEL_CHARS);
		int rc = name ? account_bar(data, &rank[i], name, present) : -1;
		free(name);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int tiles_chart_hashtags(cJSON *tile, const struct tiles_rank *rank, size_t n)
{
	cJSON *keys = add_array(tile, "keys"), *data;
	if (!keys || add_key(keys, "tweets", "Tweets") != 0 ||
	    !cJSON_AddStringToObject(tile, "key_type", "string") ||
	    !(data = add_array(tile, "data")))
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* Feed text: cut, and never invalid UTF-8 in a label. */
		char *clean = ctim_truncate(rank[i].label, HASHTAG_LABEL_UNITS);
		size_t len = clean ? strlen(clean) : 0;
		char *key = malloc(len + 1), *label = malloc(len + 2), *tooltip = malloc(len + 64);
		int ok = clean && key && label && tooltip;
		if (ok) {
			/* The key folds ASCII case, as the counting did. */
			for (size_t j = 0; j <= len; j++) {
				char c = clean[j];
				key[j] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
			}
			snprintf(label, len + 2, "#%s", clean);
			snprintf(tooltip, len + 64, "%s: %zu tweet%s", label, rank[i].value,
				 rank[i].value == 1 ? "" : "s");
		}
		cJSON *bar = ok ? push_object(data) : NULL, *values = NULL;
		ok = bar && cJSON_AddStringToObject(bar, "key", key) &&
		     cJSON_AddStringToObject(bar, "label", label) &&
		     cJSON_AddNumberToObject(bar, "value", (double)rank[i].value) &&
		     (values = add_array(bar, "values")) &&
		     add_segment_link(values, "tweets", rank[i].value, tooltip,
				      TWITTER_BASE "/hashtag/", rank[i].label) == 0;
		free(clean);
		free(key);
		free(label);
		free(tooltip);
		if (!ok)
			return -1;
	}
	return 0;
}
