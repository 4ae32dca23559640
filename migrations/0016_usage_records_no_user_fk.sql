-- usage_records.user_id loses its foreign key: the RI check locked and read the user for every row the gateway
-- writes (8–9 of PGlite's ~40 µs a row). Users are never deleted, and the user comes from an authenticated key.
ALTER TABLE "usage_records" DROP CONSTRAINT "usage_records_user_id_users_id_fk";
