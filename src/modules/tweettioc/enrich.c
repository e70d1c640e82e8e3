/* enrich.c: CTIM for observables found in the Twitter IOC Hunter feed.
 *
 * Per observable with N tweets: N sightings (newest first, capped by the
 * request's CTR_ENTITIES_LIMIT), one Suspicious judgement, one verdict
 * pointing at it. Every entity carries the observable exactly as sent.
 * The sightings themselves are written by tweettioc/sighting.c; refer
 * links (Search, Browse) are here too.
 */
#include "modules/tweettioc/enrich.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctim/entities.h"
#include "lib/json_print.h"
#include "lib/now.h"
#include "http/metrics.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/normalize.h"
#include "modules/tweettioc/refresh.h"
#include "ctim/uri.h"

const struct feed_index *tweettioc_acquire_or_fail(struct relay_response *res)
{
	const struct feed_index *index = feed_store_acquire();
	if (!index) {
		struct feed_status st;
		feed_store_status(&st);
		response_add_error(res, RELAY_ERR_UNAVAILABLE,
				   "The Twitter IOC Hunter feed is not loaded yet (%s). "
				   "Please, try again later.",
				   st.last_error[0] ? st.last_error : "first download in progress");
	}
	return index;
}

struct enrich_state {
	const struct relay_request *req;
	const struct feed_index *index;
	struct ctim_bundle bundle;
	double now;
	size_t sightings;		/* emitted so far in this response */
	size_t budget_dropped;		/* sightings left out for the response budget */
	int is_variant;			/* this observable: a spelling variant (mark_variants) */
	size_t variants;		/* such observables with tweets */
	size_t variant_dropped;		/* the sightings not repeated for them */
	struct json_text text;		/* scratch for the Raw parts of sightings */
	struct json_text relation_head; /* what the observable's relations share */
	int oom;
};

/* Entities for one observable. */
static void enrich_one(struct enrich_state *st, const struct observable *o, int observe,
		       struct relay_response *res)
{
	const uint32_t *ids;
	size_t n = feed_index_lookup(st->index, o->type, o->value, &ids);
	if (n == 0)
		return;
	if (!ctim_observable_ok(o->type, o->value)) {
		metrics_count_dropped_entity(); /* its entities could not be valid */
		return;
	}
	const struct feed *feed = st->index->feed;
	char judgement_id[CTIM_ID_LEN] = "";
	double end = st->now + CTIM_VALID_SECONDS;

	if (observe) {
		char key[IOC_KEY_MAX];
		ioc_key(ioc_class_of_type(o->type), o->value, key, sizeof(key), NULL, 0);
		size_t limit = (size_t)st->req->entities_limit;
		size_t take = n < limit ? n : limit;
		if (st->is_variant) { /* its sightings went to the first spelling */
			st->variants++;
			st->variant_dropped += take;
			take = 0;
		}
		if (take > TWEETTIOC_MAX_SIGHTINGS_PER_RESPONSE - st->sightings) {
			st->budget_dropped +=
				take - (TWEETTIOC_MAX_SIGHTINGS_PER_RESPONSE - st->sightings);
			take = TWEETTIOC_MAX_SIGHTINGS_PER_RESPONSE - st->sightings;
		}
		st->relation_head.len = 0;
		ctim_relation_head_write(&st->relation_head, TWEETTIOC_SOURCE, "Related_To",
					 o->type, o->value);
		for (size_t i = 0; i < take; i++)
			if (ctim_bundle_add(&st->bundle.sightings,
					    tweettioc_sighting(&st->text, &feed->tweets[ids[i]], o,
							       &st->relation_head, key)) != 0)
				st->oom = 1;
		st->sightings += take;
		if (n > limit && !st->is_variant)
			response_add_error(res, RELAY_ERR_TOO_MANY_ENTITIES,
					   "Twitter IOC Hunter: %zu sightings exist for %s %s; the "
					   "%zu most recent are returned (CTR_ENTITIES_LIMIT=%zu).",
					   n, o->type, o->value, limit, limit);

		char reason[256], linkbuf[URI_MAX + 1];
		const char *newest;
		const struct feed_tweet *t0 = &feed->tweets[ids[0]];
		uri_tweet_link(t0->link, t0->user, t0->id, linkbuf, &newest);
		size_t accounts = feed_index_accounts(feed, ids, n);
		if (accounts == 0)
			st->oom = 1; /* "by 0 accounts" would be a wrong answer */
		snprintf(reason, sizeof(reason), "Mentioned in %zu tweet%s by %zu account%s", n,
			 n == 1 ? "" : "s", accounts, accounts == 1 ? "" : "s");
		struct ctim_judgement_in j = {
			.type = o->type,
			.value = o->value,
			.disposition = CTIM_SUSPICIOUS,
			.source = TWEETTIOC_SOURCE,
			.source_uri = newest, /* left out when the tweet has no link */
			.reason = reason,
			.confidence = "Medium",
			.severity = "Medium",
			.priority = 85,
			.valid_start = st->now,
			.valid_end = end,
		};
		if (ctim_bundle_add(&st->bundle.judgements,
				    ctim_judgement(&j, judgement_id, sizeof(judgement_id))) != 0)
			st->oom = 1;
	} else if (ctim_transient_id("judgement", judgement_id, sizeof(judgement_id)) != 0) {
		st->oom = 1;
	}
	if (ctim_bundle_add(&st->bundle.verdicts, ctim_verdict(o->type, o->value, CTIM_SUSPICIOUS,
							       judgement_id, st->now, end)) != 0)
		st->oom = 1;
}

struct key_ref {
	char *key;
	size_t i;
};

static int compare_key_ref(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Sets variant[i] when an earlier observable has the same match key: a
 * spelling variant ("ABC..." after "abc..."), which would otherwise repeat
 * the whole sighting list (a 197 KB request of case variants of one md5
 * was a 38 MB answer). Sorting, not hashing, so no input is slow. Returns
 * 0, or -1 when out of memory. */
static int mark_variants(const struct observable_list *obs, unsigned char *variant)
{
	struct key_ref *refs = malloc((obs->count ? obs->count : 1) * sizeof(*refs));
	char key[IOC_KEY_MAX];
	size_t n = 0;
	int rc = refs ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < obs->count; i++) {
		char cls = ioc_class_of_type(obs->items[i].type);
		if (!cls || ioc_key(cls, obs->items[i].value, key, sizeof(key), NULL, 0) != 0)
			continue;
		refs[n].i = i;
		if (!(refs[n].key = strdup(key)))
			rc = -1;
		else
			n++;
	}
	if (rc == 0 && n > 1)
		qsort(refs, n, sizeof(*refs), compare_key_ref);
	for (size_t j = 1; rc == 0 && j < n; j++)
		if (strcmp(refs[j].key, refs[j - 1].key) == 0)
			variant[refs[j].i] = 1;
	for (size_t j = 0; j < n; j++)
		free(refs[j].key);
	free(refs);
	return rc;
}

static void release_index(void *index)
{
	feed_store_release(index);
}

static void enrich(const struct relay_request *req, const struct observable_list *obs,
		   struct relay_response *res, int observe)
{
	struct enrich_state st = {.req = req, .now = now_seconds()};
	if (!(st.index = tweettioc_acquire_or_fail(res)))
		return;
	unsigned char *variant = observe ? calloc(obs->count ? obs->count : 1, 1) : NULL;
	if (observe && (!variant || mark_variants(obs, variant) != 0))
		st.oom = 1;
	for (size_t i = 0; i < obs->count && !st.oom; i++) {
		st.is_variant = variant && variant[i];
		enrich_one(&st, &obs->items[i], observe, res);
	}
	free(variant);
	json_text_free(&st.text);
	json_text_free(&st.relation_head);
	/* Sightings borrow the feed copy's strings: the response holds the
	 * copy until it has been written and freed. */
	if (res->cleanup)
		feed_store_release(st.index);
	else {
		res->cleanup = release_index;
		res->cleanup_arg = (void *)st.index;
	}
	if (st.budget_dropped)
		response_add_error(res, RELAY_ERR_TOO_MANY_ENTITIES,
				   "Twitter IOC Hunter: %zu more sightings were left out; one "
				   "response carries at most %d.",
				   st.budget_dropped, TWEETTIOC_MAX_SIGHTINGS_PER_RESPONSE);
	if (st.variant_dropped)
		response_add_error(res, RELAY_ERR_TOO_MANY_ENTITIES,
				   "Twitter IOC Hunter: %zu observables are spelling variants of "
				   "values already asked; their %zu sightings are given once, with "
				   "the first spelling.",
				   st.variants, st.variant_dropped);
	if (st.oom) {
		ctim_bundle_free(&st.bundle);
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
		return;
	}
	if (!observe) {
		/* deliberate answers verdicts only */
		cJSON_Delete(st.bundle.judgements);
		cJSON_Delete(st.bundle.sightings);
		st.bundle.judgements = st.bundle.sightings = NULL;
		cJSON *data = cJSON_CreateObject();
		if (st.bundle.verdicts) {
			cJSON *docs = ctim_docs(st.bundle.verdicts); /* takes the verdicts */
			st.bundle.verdicts = NULL;
			if (!data || !docs) {
				cJSON_Delete(docs);
				cJSON_Delete(data);
				data = NULL;
			} else {
				cJSON_AddItemToObjectCS(data, "verdicts", docs);
			}
		}
		response_set_data(res, data);
		return;
	}
	response_set_data(res, ctim_bundle_take(&st.bundle));
}

void tweettioc_deliberate(const struct relay_request *req, const struct observable_list *obs,
			  struct relay_response *res)
{
	enrich(req, obs, res, 0);
}

void tweettioc_observe(const struct relay_request *req, const struct observable_list *obs,
		       struct relay_response *res)
{
	enrich(req, obs, res, 1);
}

static const char *type_label(const char *type)
{
	static const struct {
		const char *type, *label;
	} labels[] = {
		{"ip", "IP"},	{"ipv6", "IPv6"}, {"domain", "domain"}, {"url", "URL"},
		{"md5", "MD5"}, {"sha1", "SHA1"}, {"sha256", "SHA256"}, {"email", "email"},
	};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(labels[i].type, type) == 0)
			return labels[i].label;
	return type;
}

static int add_refer(cJSON *list, const struct observable *o, const char *escaped, const char *kind,
		     const char *title, const char *description, const char *url,
		     const char *category)
{
	struct ctim_refer_in in = {
		.module_id = "tweettioc",
		.kind = kind,
		.type = o->type,
		.value = o->value,
		.title = title,
		.description = description,
		.url = url,
		.category = category,
		.source_name = TWEETTIOC_SOURCE,
		.value_escaped = escaped,
	};
	cJSON *r = ctim_refer(&in);
	if (!r || !cJSON_AddItemToArray(list, r)) {
		cJSON_Delete(r);
		return -1;
	}
	return 0;
}

/* Search link for every supported observable, Browse link for those with hits. */
static int refer_one(cJSON *list, const struct feed_index *index, const struct observable *o)
{
	char title[128], description[512];
	const char *label = type_label(o->type);
	if (!ctim_observable_ok(o->type, o->value)) {
		metrics_count_dropped_entity();
		return 0;
	}
	char *q = uri_escape(o->value);
	if (!q)
		return -1;
	size_t ulen = strlen(q) + 64;
	char *url = malloc(ulen);
	int rc = -1;
	if (!url)
		goto out;
	snprintf(url, ulen, "https://twitter.com/search?q=%s&f=live", q);
	snprintf(title, sizeof(title), "Search for this %s", label);
	snprintf(description, sizeof(description), "Search Twitter for tweets that mention this %s",
		 label);
	if (!uri_valid_http(url))
		metrics_count_dropped_entity(); /* a value too long for a URI */
	else if (add_refer(list, o, q, "search", title, description, url, "Search") != 0)
		goto out;
	const uint32_t *ids;
	size_t n = index ? feed_index_lookup(index, o->type, o->value, &ids) : 0;
	char linkbuf[URI_MAX + 1];
	const char *link = NULL;
	if (n > 0) {
		const struct feed_tweet *t = &index->feed->tweets[ids[0]];
		uri_tweet_link(t->link, t->user, t->id, linkbuf, &link);
		/* The account is feed text: a handle, or not named at all. */
		snprintf(title, sizeof(title), "Browse the newest tweet about this %s", label);
		snprintf(description, sizeof(description),
			 "Open the newest of %zu tweets that mention this %s%s%s%s", n, label,
			 uri_twitter_handle(t->user) ? " (by @" : "",
			 uri_twitter_handle(t->user) ? t->user : "",
			 uri_twitter_handle(t->user) ? ")" : "");
	}
	/* No usable link: no Browse link. */
	if (link && add_refer(list, o, q, "browse", title, description, link, "Browse") != 0)
		goto out;
	rc = 0;
out:
	free(q);
	free(url);
	return rc;
}

void tweettioc_refer(const struct relay_request *req, const struct observable_list *obs,
		     struct relay_response *res)
{
	(void)req;
	/* Search links need no feed; Browse links appear once a copy is loaded. */
	const struct feed_index *index = feed_store_acquire();
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; list && i < obs->count; i++) {
		if (!ioc_class_of_type(obs->items[i].type))
			continue;
		if (refer_one(list, index, &obs->items[i]) != 0) {
			cJSON_Delete(list);
			list = NULL;
		}
	}
	feed_store_release(index);
	response_set_data(res, list);
}
