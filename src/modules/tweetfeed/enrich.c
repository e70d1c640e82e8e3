/* enrich.c: CTIM for observables TweetFeed knows: from the kept index, then
 * /v1/ioc for the misses (see enrich.h).
 *
 * Per observable with N tweets in the index: N sightings (newest first,
 * capped by CTR_ENTITIES_LIMIT), one Suspicious judgement, one verdict. Per
 * index miss that /v1/ioc finds: one "Seen on TweetFeed (365 days)"
 * sighting per record, a judgement and a verdict. Deliberate answers the
 * verdicts only.
 */
#include "modules/tweetfeed/enrich.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/now.h"
#include "config.h"
#include "ctim/entities.h"
#include "ctim/uri.h"
#include "feeds/engine.h"
#include "http/metrics.h"
#include "lib/arena.h"
#include "lib/json_print.h"
#include "modules/tweetfeed/lookup.h"
#include "modules/tweetfeed/settings.h"
#include "modules/tweetfeed/sighting.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/normalize.h"
#include "net/upstream.h"

int tweetfeed_supported_type(const char *type)
{
	static const char *const types[] = {"ip", "ipv6", "domain", "url", "md5", "sha256"};
	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++)
		if (strcmp(type, types[i]) == 0)
			return 1;
	return 0;
}

struct state {
	const struct relay_request *req;
	const struct feed_index *index;
	struct ctim_bundle bundle;
	double now;
	int observe;
	size_t sightings;
	size_t budget_dropped;
	struct json_text text, head;
	int oom;
};

/* Related_To relations to the tweet's other IOCs. */
static cJSON *relations(struct state *st, const struct feed_tweet *t, const char *key)
{
	st->text.len = 0;
	json_text_literal(&st->text, "[");
	int first = 1;
	for (size_t i = 0; i < t->n_iocs; i++) {
		const struct feed_ioc *ioc = &t->iocs[i];
		if ((ioc->key && strcmp(ioc->key, key) == 0) ||
		    (ioc->alt_key && strcmp(ioc->alt_key, key) == 0))
			continue;
		if (!ctim_observable_ok(ioc->ctim_type, ioc->value)) {
			metrics_count_dropped_entity();
			continue;
		}
		if (!first)
			json_text_literal(&st->text, ",");
		first = 0;
		ctim_relation_write(&st->text, &st->head, ioc->ctim_type, ioc->value);
	}
	json_text_literal(&st->text, "]");
	return json_text_to_raw(&st->text);
}

static void add_verdict(struct state *st, const struct observable *o, const char *reason,
			const char *source_uri)
{
	char judgement_id[CTIM_ID_LEN] = "";
	double end = st->now + CTIM_VALID_SECONDS;
	if (st->observe) {
		struct ctim_judgement_in j = {
			.type = o->type,
			.value = o->value,
			.disposition = CTIM_SUSPICIOUS,
			.source = TWEETFEED_SOURCE,
			.source_uri = source_uri,
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

/* Sightings budget of the response: how many of `want` may still go. */
static size_t take_budget(struct state *st, size_t want)
{
	size_t left = TWEETFEED_MAX_SIGHTINGS_PER_RESPONSE - st->sightings;
	if (want > left) {
		st->budget_dropped += want - left;
		want = left;
	}
	st->sightings += want;
	return want;
}

/* Entities from the index; returns how many tweets matched. */
static size_t from_index(struct state *st, const struct observable *o, struct relay_response *res)
{
	const uint32_t *ids;
	size_t n = st->index ? feed_index_lookup(st->index, o->type, o->value, &ids) : 0;
	if (n == 0)
		return 0;
	const struct feed *feed = st->index->feed;
	if (st->observe) {
		char key[IOC_KEY_MAX];
		ioc_key(ioc_class_of_type(o->type), o->value, key, sizeof(key), NULL, 0);
		size_t limit = (size_t)st->req->entities_limit;
		size_t take = take_budget(st, n < limit ? n : limit);
		st->head.len = 0;
		ctim_relation_head_write(&st->head, TWEETFEED_SOURCE, "Related_To", o->type,
					 o->value);
		for (size_t i = 0; i < take; i++) {
			const struct feed_tweet *t = &feed->tweets[ids[i]];
			if (ctim_bundle_add(&st->bundle.sightings,
					    tweetfeed_tweet_sighting(t, o->type, o->value,
								     relations(st, t, key))) != 0)
				st->oom = 1;
		}
		if (n > limit)
			response_add_error(res, RELAY_ERR_TOO_MANY_ENTITIES,
					   "TweetFeed: %zu sightings exist for %s %s; the %zu most "
					   "recent are returned (CTR_ENTITIES_LIMIT=%zu).",
					   n, o->type, o->value, limit, limit);
	}
	char reason[256], linkbuf[URI_MAX + 1];
	const char *newest;
	const struct feed_tweet *t0 = &feed->tweets[ids[0]];
	uri_tweet_link(t0->link, t0->user, t0->id, linkbuf, &newest);
	size_t accounts = st->observe ? feed_index_accounts(feed, ids, n) : 1;
	if (accounts == 0)
		st->oom = 1;
	tweetfeed_tweets_reason(n, accounts, reason, sizeof(reason));
	add_verdict(st, o, reason, newest);
	return n;
}

/* Entities from a /v1/ioc answer. */
static void from_lookup(struct state *st, const struct observable *o,
			const struct tweetfeed_lookup_result *r)
{
	if (!r->answer.found || r->answer.n_records == 0)
		return;
	long total = 0;
	const char *source_uri = NULL;
	size_t take = st->observe ? take_budget(st, r->answer.n_records) : 0;
	for (size_t i = 0; i < r->answer.n_records; i++) {
		const struct tweetfeed_record *rec = &r->answer.records[i];
		total += rec->count;
		if (!source_uri && rec->n_tweets)
			source_uri = rec->tweets[0];
		if (i < take &&
		    ctim_bundle_add(&st->bundle.sightings,
				    tweetfeed_record_sighting(rec, o->type, o->value)) != 0)
			st->oom = 1;
	}
	char reason[128];
	tweetfeed_record_reason(total, reason, sizeof(reason));
	add_verdict(st, o, reason, source_uri);
}

/* The wording of a failed lookup, one entry per observable. */
static void report_failure(const struct observable *o, const struct tweetfeed_lookup_result *r,
			   struct relay_response *res)
{
	char *v = ctim_truncate(o->value, 200);
	response_add_error(res, r->err,
			   "TweetFeed: the 365-day lookup of %s %s failed (%s); the kept "
			   "window's answers are unaffected.",
			   o->type, v ? v : "", r->detail[0] ? r->detail : "no answer");
	free(v);
}

/* Looks up the misses at /v1/ioc and adds what they find. */
static void lookups(struct state *st, const struct observable **miss, size_t n,
		    struct relay_response *res)
{
	const struct relay_config *cfg = st->req->cfg;
	const struct tweetfeed_settings *set = tweetfeed_settings(cfg);
	if (n == 0 || !set || !set->lookup)
		return;
	struct arena a;
	arena_init(&a, 64 * 1024);
	const char **values = calloc(n, sizeof(*values));
	struct tweetfeed_lookup_result *results = calloc(n, sizeof(*results));
	if (!values || !results) {
		st->oom = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		values[i] = miss[i]->value;
	struct tweetfeed_lookup_opts opts = {
		.base_url = set->url,
		.max_lookups = (size_t)set->max_lookups,
		.deadline_ms = cfg->request_deadline_ms,
	};
	if (tweetfeed_lookup_many(cfg, &opts, tweetfeed_lookup_cache(), values, n, &a, results) !=
	    0) {
		st->oom = 1;
		goto out;
	}
	size_t left_out = 0;
	for (size_t i = 0; i < n && !st->oom; i++) {
		if (results[i].left_out)
			left_out++;
		else if (results[i].err == RELAY_ERR_INTERNAL)
			st->oom = 1;
		else if (results[i].err != RELAY_OK)
			report_failure(miss[i], &results[i], res);
		else
			from_lookup(st, miss[i], &results[i]);
	}
	if (left_out)
		response_add_error(res, RELAY_ERR_TOO_MANY_ENTITIES,
				   "TweetFeed: %zu observable%s not in the kept window %s not "
				   "looked up: one request asks about at most %ld values "
				   "(TWEETFEED_MAX_LOOKUPS).",
				   left_out, left_out == 1 ? "" : "s",
				   left_out == 1 ? "was" : "were", set->max_lookups);
out:
	free(values);
	free(results);
	arena_free(&a);
}

static void release_index(void *index)
{
	feed_engine_release(tweetfeed_engine(), index);
}

static void enrich(const struct relay_request *req, const struct observable_list *obs,
		   struct relay_response *res, int observe)
{
	struct state st = {.req = req, .now = now_seconds(), .observe = observe};
	st.index = feed_engine_acquire(tweetfeed_engine());
	const struct tweetfeed_settings *set = tweetfeed_settings(req->cfg);
	int lookup_on = set && set->lookup;
	if (!st.index && !lookup_on) {
		char msg[512];
		feed_engine_ready(tweetfeed_engine(), 3, msg, sizeof(msg));
		response_add_error(res, RELAY_ERR_UNAVAILABLE, "%s", msg);
		return;
	}
	const struct observable **miss = calloc(obs->count ? obs->count : 1, sizeof(*miss));
	size_t n_miss = 0;
	if (!miss)
		st.oom = 1;
	for (size_t i = 0; i < obs->count && !st.oom; i++) {
		const struct observable *o = &obs->items[i];
		if (!tweetfeed_supported_type(o->type))
			continue;
		if (!ctim_observable_ok(o->type, o->value)) {
			metrics_count_dropped_entity();
			continue;
		}
		if (from_index(&st, o, res) == 0)
			miss[n_miss++] = o;
	}
	if (!st.oom)
		lookups(&st, miss, n_miss, res);
	free(miss);
	json_text_free(&st.text);
	json_text_free(&st.head);
	/* Sightings may borrow the copy's strings: held until the answer is written. */
	if (st.index) {
		if (res->cleanup) {
			feed_engine_release(tweetfeed_engine(), st.index);
		} else {
			res->cleanup = release_index;
			res->cleanup_arg = (void *)st.index;
		}
	}
	if (st.budget_dropped)
		response_add_error(res, RELAY_ERR_TOO_MANY_ENTITIES,
				   "TweetFeed: %zu more sightings were left out; one response "
				   "carries at most %d.",
				   st.budget_dropped, TWEETFEED_MAX_SIGHTINGS_PER_RESPONSE);
	if (st.oom) {
		ctim_bundle_free(&st.bundle);
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
		return;
	}
	if (!observe) {
		cJSON_Delete(st.bundle.judgements);
		cJSON_Delete(st.bundle.sightings);
		st.bundle.judgements = st.bundle.sightings = NULL;
	}
	response_set_data(res, ctim_bundle_take(&st.bundle));
}

void tweetfeed_deliberate(const struct relay_request *req, const struct observable_list *obs,
			  struct relay_response *res)
{
	enrich(req, obs, res, 0);
}

void tweetfeed_observe(const struct relay_request *req, const struct observable_list *obs,
		       struct relay_response *res)
{
	enrich(req, obs, res, 1);
}

/* Browse the newest tweet, for observables the index knows. */
static int refer_one(cJSON *list, const struct feed_index *index, const struct observable *o)
{
	const uint32_t *ids;
	size_t n = index ? feed_index_lookup(index, o->type, o->value, &ids) : 0;
	if (n == 0)
		return 0;
	if (!ctim_observable_ok(o->type, o->value)) {
		metrics_count_dropped_entity();
		return 0;
	}
	const struct feed_tweet *t = &index->feed->tweets[ids[0]];
	char linkbuf[URI_MAX + 1], description[256];
	const char *link;
	if (!uri_tweet_link(t->link, t->user, t->id, linkbuf, &link))
		return 0;
	snprintf(description, sizeof(description),
		 "Open the newest of %zu tweets TweetFeed lists for this %s (by @%s)", n, o->type,
		 t->user);
	struct ctim_refer_in in = {
		.module_id = "tweetfeed",
		.kind = "browse",
		.type = o->type,
		.value = o->value,
		.title = "Browse the newest tweet on TweetFeed",
		.description = description,
		.url = link,
		.category = "Browse",
		.source_name = TWEETFEED_SOURCE,
	};
	cJSON *r = ctim_refer(&in);
	if (!r || !cJSON_AddItemToArray(list, r)) {
		cJSON_Delete(r);
		return -1;
	}
	return 0;
}

void tweetfeed_refer(const struct relay_request *req, const struct observable_list *obs,
		     struct relay_response *res)
{
	(void)req;
	const struct feed_index *index = feed_engine_acquire(tweetfeed_engine());
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; list && i < obs->count; i++) {
		if (!tweetfeed_supported_type(obs->items[i].type))
			continue;
		if (refer_one(list, index, &obs->items[i]) != 0) {
			cJSON_Delete(list);
			list = NULL;
		}
	}
	feed_engine_release(tweetfeed_engine(), index);
	response_set_data(res, list);
}
