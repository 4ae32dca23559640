CREATE TABLE "model_prices" (
	"model" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"input_micros" bigint NOT NULL,
	"output_micros" bigint NOT NULL,
	"per_image_micros" bigint,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "registry_models" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"provider" text NOT NULL,
	"model_name" text NOT NULL,
	"credential_ciphertext" text,
	"credential_fingerprint" text,
	"api_base" text,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"credits_cost" integer DEFAULT 0 NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "rate_limit_rpm" integer;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "credit_limit_micros" bigint;--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD COLUMN "version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "operation" text;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "usage_estimated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "attempts" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "http_status" integer;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "error_message" text;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "charge_ref" text;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "models" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "registry_models_name_live_uq" ON "registry_models" USING btree ("name") WHERE "registry_models"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "usage_records_key_created_idx" ON "usage_records" USING btree ("api_key_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "usage_records_request_uq" ON "usage_records" USING btree ("request_id");