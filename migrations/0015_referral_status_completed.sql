-- A paid referral is `completed`, the studio spec's word (GET /api/v1/operation/referral/records); 0014 stored it as
-- `rewarded`. The rows written under that name move to the new one before the check admits only the four statuses.
UPDATE "referrals" SET "status" = 'completed' WHERE "status" = 'rewarded';--> statement-breakpoint
ALTER TABLE "referrals" ADD CONSTRAINT "referrals_status_ck" CHECK ("referrals"."status" IN ('pending', 'completed', 'not_rewarded', 'clawed_back'));
