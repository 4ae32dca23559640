import type { Maybe } from '../../platform/maybe.ts';
import { millisOf, type Clock } from '../../platform/time.ts';

// An in-memory snapshot the hot path reads without a database round trip: `invalidate()` after a local write makes
// the next read rebuild it; a snapshot older than `reloadMs` is still served while a rebuild runs in the background, so
// a change made on another node arrives within about `reloadMs`. One build runs at a time per version. A snapshot at
// hand is returned as it is, not wrapped in a promise (platform/maybe.ts).

export interface Snapshot<T> {
  current(): Maybe<T>;
  invalidate(): void;
}

export function createSnapshot<T>(build: () => Promise<T>, o: { clock: Clock; reloadMs: number }): Snapshot<T> {
  let snapshot: { value: T; builtAt: number; version: number } | undefined;
  let version = 0;
  let building: Promise<T> | undefined;
  let buildingVersion = -1;

  function rebuild(): Promise<T> {
    if (building && buildingVersion === version) return building;
    buildingVersion = version;
    const startedAt = version;
    const run = build()
      .then((value) => {
        // A write during the build leaves the snapshot stale: the next call rebuilds.
        snapshot = { value, builtAt: o.clock.now().getTime(), version: startedAt };
        return value;
      })
      .finally(() => {
        if (building === run) building = undefined;
      });
    building = run;
    return run;
  }

  return {
    current() {
      if (snapshot && snapshot.version === version) {
        if (millisOf(o.clock) - snapshot.builtAt >= o.reloadMs) rebuild().catch(() => undefined);
        return snapshot.value;
      }
      return rebuild();
    },
    invalidate() {
      version += 1;
    },
  };
}
