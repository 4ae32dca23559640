// Holds shared by every node through Redis, the one pattern behind package quota (supply/package-quota-redis.ts) and
// payer spending (metering/payers-redis.ts): each hold is a member "<id>:<amount>" of a sorted set scored by its
// expiry, so a node that dies mid-request cannot keep what it held for ever, and a Lua script sums what is still held
// in the same atomic step that decides whether one more hold fits.

/** A hold outlives any request it covers (the gateway's timeouts end requests long before). */
export const HOLD_TTL_MS = 10 * 60_000;

/** State not touched for a day is forgotten (the database still knows the truth). */
export const IDLE_KEY_TTL_MS = 24 * 3600_000;

/** Lua: `liveHolds(key, now)` drops the expired members of a holds set and returns the sum of the amounts left. */
export const LIVE_HOLDS_LUA = `
local function liveHolds(key, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local total = 0
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    total = total + tonumber(string.match(member, ':(%d+)$'))
  end
  return total
end
`;

/** The member a hold of `amount` is stored as. */
export const holdMember = (id: string, amount: bigint | number) => `${id}:${amount}`;
