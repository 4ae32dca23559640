CREATE TABLE "billing_dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"user_id" bigint NOT NULL,
	"api_key_id" bigint,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"charge" jsonb NOT NULL,
	"error" text NOT NULL,
	"attempts" integer NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"handled_by" bigint,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"handled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "billing_dead_letters_request_uq" ON "billing_dead_letters" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "billing_dead_letters_status_idx" ON "billing_dead_letters" USING btree ("status","created_at");