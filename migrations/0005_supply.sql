CREATE TABLE "sms_codes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" bigint NOT NULL,
	"purpose" text NOT NULL,
	"phone" text NOT NULL,
	"code_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"consumed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "suppliers" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"display_name" text,
	"phone" text,
	"phone_verified_at" timestamp with time zone,
	"sms_failures" integer DEFAULT 0 NOT NULL,
	"withdraw_locked_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "supply_accounts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"supplier_user_id" bigint NOT NULL,
	"provider" text NOT NULL,
	"account_type" text NOT NULL,
	"alias" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"verify_status" text NOT NULL,
	"review_status" text DEFAULT 'not_required' NOT NULL,
	"risk_score" integer NOT NULL,
	"available_quota" double precision,
	"check_items" jsonb NOT NULL,
	"models" jsonb,
	"credential_ciphertext" text NOT NULL,
	"credential_fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "supply_earnings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"supplier_user_id" bigint NOT NULL,
	"package_id" bigint,
	"earnings_type" text NOT NULL,
	"amount_micros" bigint NOT NULL,
	"status" text NOT NULL,
	"earn_day" date NOT NULL,
	"requests" integer DEFAULT 0 NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	"settlement_id" bigint,
	"description" text,
	"matures_at" timestamp with time zone,
	"earned_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "supply_packages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"supplier_user_id" bigint NOT NULL,
	"supply_account_id" bigint NOT NULL,
	"model" text NOT NULL,
	"total_quota" bigint NOT NULL,
	"available_quota" bigint NOT NULL,
	"price_input_micros" bigint NOT NULL,
	"price_output_micros" bigint NOT NULL,
	"valid_days" integer NOT NULL,
	"max_concurrent" integer NOT NULL,
	"rate_limit_rpm" integer NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"cloned_from" bigint,
	"published_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"sold_out_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "supply_settlements" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"settlement_no" text NOT NULL,
	"supplier_user_id" bigint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"total_micros" bigint NOT NULL,
	"fee_micros" bigint NOT NULL,
	"net_micros" bigint NOT NULL,
	"payment_method" text NOT NULL,
	"payment_account" text NOT NULL,
	"payout_provider" text,
	"payout_reference" text,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sms_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"phone" text NOT NULL,
	"template" text NOT NULL,
	"content" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "supplier_user_id" bigint;--> statement-breakpoint
ALTER TABLE "sms_codes" ADD CONSTRAINT "sms_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suppliers" ADD CONSTRAINT "suppliers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supply_accounts" ADD CONSTRAINT "supply_accounts_supplier_user_id_users_id_fk" FOREIGN KEY ("supplier_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supply_earnings" ADD CONSTRAINT "supply_earnings_supplier_user_id_users_id_fk" FOREIGN KEY ("supplier_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supply_packages" ADD CONSTRAINT "supply_packages_supplier_user_id_users_id_fk" FOREIGN KEY ("supplier_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supply_packages" ADD CONSTRAINT "supply_packages_supply_account_id_supply_accounts_id_fk" FOREIGN KEY ("supply_account_id") REFERENCES "public"."supply_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supply_settlements" ADD CONSTRAINT "supply_settlements_supplier_user_id_users_id_fk" FOREIGN KEY ("supplier_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sms_codes_user_idx" ON "sms_codes" USING btree ("user_id","purpose","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "supply_accounts_fingerprint_live_uq" ON "supply_accounts" USING btree ("credential_fingerprint") WHERE "supply_accounts"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "supply_accounts_supplier_idx" ON "supply_accounts" USING btree ("supplier_user_id");--> statement-breakpoint
CREATE INDEX "supply_accounts_status_idx" ON "supply_accounts" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "supply_earnings_open_day_uq" ON "supply_earnings" USING btree ("package_id","earn_day") WHERE "supply_earnings"."earnings_type" = 'usage' AND "supply_earnings"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "supply_earnings_supplier_idx" ON "supply_earnings" USING btree ("supplier_user_id","earned_at");--> statement-breakpoint
CREATE INDEX "supply_earnings_maturing_idx" ON "supply_earnings" USING btree ("status","matures_at");--> statement-breakpoint
CREATE INDEX "supply_earnings_settlement_idx" ON "supply_earnings" USING btree ("settlement_id");--> statement-breakpoint
CREATE INDEX "supply_packages_supplier_idx" ON "supply_packages" USING btree ("supplier_user_id");--> statement-breakpoint
CREATE INDEX "supply_packages_status_idx" ON "supply_packages" USING btree ("status","model");--> statement-breakpoint
CREATE UNIQUE INDEX "supply_settlements_no_uq" ON "supply_settlements" USING btree ("settlement_no");--> statement-breakpoint
CREATE UNIQUE INDEX "supply_settlements_open_uq" ON "supply_settlements" USING btree ("supplier_user_id") WHERE "supply_settlements"."status" IN ('pending', 'processing');--> statement-breakpoint
CREATE INDEX "supply_settlements_supplier_idx" ON "supply_settlements" USING btree ("supplier_user_id","created_at");--> statement-breakpoint
CREATE INDEX "usage_records_supplier_created_idx" ON "usage_records" USING btree ("supplier_user_id","created_at");