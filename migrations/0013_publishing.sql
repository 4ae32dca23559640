CREATE TABLE "publish_bindings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" bigint NOT NULL,
	"platform" text NOT NULL,
	"credentials" text NOT NULL,
	"account_name" text,
	"account_type" text NOT NULL,
	"capability" text NOT NULL,
	"note" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "publish_jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"request_id" bigint NOT NULL,
	"user_id" bigint NOT NULL,
	"creation_id" bigint NOT NULL,
	"platform" text NOT NULL,
	"binding_id" bigint NOT NULL,
	"state" text NOT NULL,
	"progress" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"action" jsonb,
	"url" text,
	"error_code" text,
	"error_message" text,
	"retryable" boolean DEFAULT false NOT NULL,
	"resume_state" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "publish_requests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" bigint NOT NULL,
	"creation_id" bigint NOT NULL,
	"cover_creation_id" bigint,
	"idempotency_key" text,
	"scheduled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "publish_bindings" ADD CONSTRAINT "publish_bindings_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publish_jobs" ADD CONSTRAINT "publish_jobs_request_id_publish_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."publish_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publish_jobs" ADD CONSTRAINT "publish_jobs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publish_jobs" ADD CONSTRAINT "publish_jobs_creation_id_studio_creations_id_fk" FOREIGN KEY ("creation_id") REFERENCES "public"."studio_creations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publish_jobs" ADD CONSTRAINT "publish_jobs_binding_id_publish_bindings_id_fk" FOREIGN KEY ("binding_id") REFERENCES "public"."publish_bindings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publish_requests" ADD CONSTRAINT "publish_requests_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publish_requests" ADD CONSTRAINT "publish_requests_creation_id_studio_creations_id_fk" FOREIGN KEY ("creation_id") REFERENCES "public"."studio_creations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publish_requests" ADD CONSTRAINT "publish_requests_cover_creation_id_studio_creations_id_fk" FOREIGN KEY ("cover_creation_id") REFERENCES "public"."studio_creations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "publish_bindings_live_uq" ON "publish_bindings" USING btree ("user_id","platform") WHERE "publish_bindings"."deleted_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "publish_jobs_request_platform_uq" ON "publish_jobs" USING btree ("request_id","platform");--> statement-breakpoint
CREATE UNIQUE INDEX "publish_jobs_live_uq" ON "publish_jobs" USING btree ("creation_id","platform","binding_id") WHERE "publish_jobs"."state" IN ('queued', 'uploading_assets', 'draft_created', 'submitted') OR ("publish_jobs"."state" = 'failed' AND "publish_jobs"."retryable");--> statement-breakpoint
CREATE INDEX "publish_jobs_due_idx" ON "publish_jobs" USING btree ("due_at") WHERE "publish_jobs"."state" IN ('queued', 'uploading_assets', 'draft_created', 'submitted') OR ("publish_jobs"."state" = 'failed' AND "publish_jobs"."retryable");--> statement-breakpoint
CREATE INDEX "publish_jobs_user_idx" ON "publish_jobs" USING btree ("user_id","request_id");--> statement-breakpoint
CREATE UNIQUE INDEX "publish_requests_idem_uq" ON "publish_requests" USING btree ("user_id","idempotency_key") WHERE "publish_requests"."idempotency_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "publish_requests_user_idx" ON "publish_requests" USING btree ("user_id","id");