// Values the hot path nearly always has at hand — a cached snapshot, a hold counted in memory — and only sometimes
// must wait for (a reload, a Redis round trip). Such a lookup returns the value itself when it has it: an `async`
// function would cost every gateway request a promise and a microtask per lookup (74 promises a request before these
// fast paths, counted with v8.promiseHooks under `npm run bench`).

export type Maybe<T> = T | Promise<T>;

/**
 * `f(value)` at once when the value is at hand, once it resolves otherwise. Either way a failure rejects: what `f`
 * throws at once comes back as a rejected promise, so a caller has one failure path to handle.
 */
export function andThen<T, U>(value: Maybe<T>, f: (value: T) => Maybe<U>): Maybe<U> {
  if (value instanceof Promise) return value.then(f);
  try {
    return f(value);
  } catch (err) {
    return Promise.reject(err);
  }
}
