/* dedupe.h: the one rule for a tweet id listed more than once.
 *
 * Real feeds repeat ids: the same tweet twice, or an edited copy. Every
 * copy is built through the feed builder (feed_build.h), whose
 * feed_builder_finish() ends with feed_dedupe(): a download, a snapshot
 * being loaded and a history merge alike come out with each id once, so a
 * snapshot written from a copy always loads back. The tweets of one id
 * become one tweet with
 *   - the text, account, link, hashtags and time of the newest of them
 *     (the later timestamp; on a tie, the later one in the feed), and
 *   - the IOCs of all of them: the newest's, then each other one's that
 *     are not there yet (same kind and value), in feed order, up to
 *     FEED_MAX_IOCS_PER_TWEET.
 * (A tweet the download lists again is not a repeat of the retained one:
 * the history merge lets the download's copy replace it, feed_build.h.)
 */
#ifndef TWEETTIOC_DEDUPE_H
#define TWEETTIOC_DEDUPE_H

struct feed;

/* Folds the repeated ids of `feed`, whose tweets are still in feed order
 * (the builder's, before its sort), and recounts its IOCs and accounts.
 * Returns how many tweets were folded into another, or -1 when out of
 * memory (the feed is then only to free). */
long feed_dedupe(struct feed *feed);

#endif
