CREATE TABLE "label_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"version_id" integer NOT NULL,
	"row_id" bigint NOT NULL,
	"ann_key" text NOT NULL,
	"old_label" integer,
	"new_label" integer,
	"box" jsonb
);
--> statement-breakpoint
CREATE TABLE "label_versions" (
	"id" serial PRIMARY KEY NOT NULL,
	"dataset_id" integer NOT NULL,
	"version" integer NOT NULL,
	"source" text NOT NULL,
	"actor" text,
	"note" text,
	"origin" jsonb,
	"summary" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_evaluations" (
	"run_id" integer NOT NULL,
	"label_version" integer NOT NULL,
	"metrics" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_evaluations_run_id_label_version_pk" PRIMARY KEY("run_id","label_version")
);
--> statement-breakpoint
ALTER TABLE "model_runs" ADD COLUMN "label_version" integer;--> statement-breakpoint
ALTER TABLE "reviews" ADD COLUMN "label_version_id" integer;--> statement-breakpoint
ALTER TABLE "label_changes" ADD CONSTRAINT "label_changes_version_id_label_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."label_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "label_changes" ADD CONSTRAINT "label_changes_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "label_versions" ADD CONSTRAINT "label_versions_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_evaluations" ADD CONSTRAINT "run_evaluations_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "label_changes_version_key_uq" ON "label_changes" USING btree ("version_id","row_id","ann_key");--> statement-breakpoint
CREATE INDEX "label_changes_row_idx" ON "label_changes" USING btree ("row_id","ann_key");--> statement-breakpoint
CREATE UNIQUE INDEX "label_versions_dataset_version_uq" ON "label_versions" USING btree ("dataset_id","version");--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_label_version_id_label_versions_id_fk" FOREIGN KEY ("label_version_id") REFERENCES "public"."label_versions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
-- Datasets imported before label versions: their stored labels are version 1.
INSERT INTO "label_versions" ("dataset_id", "version", "source", "summary")
  SELECT "id", 1, 'ingest', '{}'::jsonb FROM "datasets";--> statement-breakpoint
UPDATE "model_runs" SET "label_version" = 1 WHERE "analyzed_at" IS NOT NULL;--> statement-breakpoint
INSERT INTO "run_evaluations" ("run_id", "label_version", "metrics", "created_at")
  SELECT "id", 1, "metrics", "analyzed_at" FROM "model_runs" WHERE "metrics" IS NOT NULL AND "analyzed_at" IS NOT NULL;
