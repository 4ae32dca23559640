-- The gateway's key-spend guard (identity/api-keys.repo.ts addSpendStatement): adds a flush's spend to an API key and
-- fails the whole flush statement if that takes the key past its spend limit. It runs per row as the row is updated,
-- so two nodes flushing at once are checked one after the other against the latest spent amount. The error names
-- the constraint api_keys_spend_limit_guard and carries the key's id as its detail, for billing to retry that key's
-- charges one by one.
CREATE OR REPLACE FUNCTION gateway_key_spend(key_id bigint, spent bigint, amount bigint, spend_limit bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
  IF spend_limit IS NOT NULL AND spent + amount > spend_limit THEN
    RAISE EXCEPTION 'API key % would pass its spend limit', key_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'api_keys_spend_limit_guard', DETAIL = key_id::text;
  END IF;
  RETURN spent + amount;
END
$$;
