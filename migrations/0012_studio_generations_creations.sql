CREATE TABLE "studio_creations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" bigint NOT NULL,
	"type" text NOT NULL,
	"tool_type" text,
	"title" text NOT NULL,
	"content" text DEFAULT '' NOT NULL,
	"status" text DEFAULT 'final' NOT NULL,
	"files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"generation_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "studio_generations" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"tool_type" text,
	"idempotency_key" text,
	"request_hash" text NOT NULL,
	"status" text NOT NULL,
	"credits" integer NOT NULL,
	"hold_id" bigint,
	"credits_used" integer DEFAULT 0 NOT NULL,
	"model_id" bigint,
	"model_name" text NOT NULL,
	"input" jsonb NOT NULL,
	"provider" text,
	"provider_task_id" text,
	"result" jsonb,
	"error_code" integer,
	"error_message" text,
	"creation_id" bigint,
	"polls" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "studio_creations" ADD CONSTRAINT "studio_creations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "studio_generations" ADD CONSTRAINT "studio_generations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "studio_creations_user_idx" ON "studio_creations" USING btree ("user_id","type","id") WHERE "studio_creations"."deleted_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "studio_creations_generation_uq" ON "studio_creations" USING btree ("generation_id") WHERE "studio_creations"."generation_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "studio_generations_idem_uq" ON "studio_generations" USING btree ("user_id","idempotency_key") WHERE "studio_generations"."idempotency_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "studio_generations_open_idx" ON "studio_generations" USING btree ("expires_at") WHERE "studio_generations"."status" IN ('reserved', 'running');--> statement-breakpoint
CREATE UNIQUE INDEX "studio_generations_task_uq" ON "studio_generations" USING btree ("provider","provider_task_id") WHERE "studio_generations"."provider_task_id" IS NOT NULL;