CREATE TABLE "model_price_ceilings" (
	"model" text PRIMARY KEY NOT NULL,
	"input_micros" bigint NOT NULL,
	"output_micros" bigint NOT NULL,
	"per_image_micros" bigint,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
