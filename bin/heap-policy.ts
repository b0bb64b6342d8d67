/**
 * V8 heap sizing for the commands that stream a whole capture through the analysis (analyze, check, report,
 * follow, live).
 *
 * The analysis keeps only what is open and out of order (a few MB of live objects), but V8 sizes its heap by
 * what survives collections. The young generation starts at 1 MiB and doubles each time the bytes that
 * survived since the last doubling exceed its size, up to 16 MiB per semi-space; the old generation's limit
 * grows by a factor between collections. A longer run gets further along both growth paths, so peak RSS
 * grew with the length of the capture: 84 MB on 1.1 M packets, 100 MB on 4.2 M (BENCHMARKS.md).
 *
 * Here the young generation may grow to 8 MiB and no further, and the old generation's limit grows by 75 %
 * after a mark-compact. Measured on the benchmark captures: 77 MB on 1.1 M packets and 81 MB on 4.2 M, at the
 * same speed. A 4 MiB cap with 50 % was as flat but cost about 7 % on full payloads, because it meant more
 * scavenges. These two V8 flags are read by the collector when it resizes the heap, so setting them at run
 * time takes effect.
 */
import v8 from 'node:v8';

/** Young-generation size at which its growth stops. */
const YOUNG_GENERATION_CAP = 8 << 20;

export function boundHeapGrowth(): void {
  v8.setFlagsFromString('--heap-growing-percent=75');
  const watch = setInterval(() => {
    const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    if (young !== undefined && young.space_size >= YOUNG_GENERATION_CAP) {
      v8.setFlagsFromString('--semi-space-growth-factor=1');
      clearInterval(watch);
    }
  }, 10);
  watch.unref();
}
