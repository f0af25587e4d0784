CREATE TABLE "class_mutes" (
	"dataset_id" integer NOT NULL,
	"label" integer NOT NULL,
	"muted_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "class_mutes_dataset_id_label_pk" PRIMARY KEY("dataset_id","label")
);
--> statement-breakpoint
CREATE TABLE "regression_alerts" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"channel" text NOT NULL,
	"status" text DEFAULT 'sending' NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"message_ts" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "run_regressions" (
	"run_id" integer PRIMARY KEY NOT NULL,
	"previous_run_id" integer NOT NULL,
	"metric" text NOT NULL,
	"rows" integer NOT NULL,
	"resamples" integer NOT NULL,
	"seed" bigint NOT NULL,
	"min_drop" double precision NOT NULL,
	"classes" jsonb NOT NULL,
	"cells" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "class_mutes" ADD CONSTRAINT "class_mutes_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "regression_alerts" ADD CONSTRAINT "regression_alerts_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_regressions" ADD CONSTRAINT "run_regressions_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_regressions" ADD CONSTRAINT "run_regressions_previous_run_id_model_runs_id_fk" FOREIGN KEY ("previous_run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "regression_alerts_run_channel_uq" ON "regression_alerts" USING btree ("run_id","channel");