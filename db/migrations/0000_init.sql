CREATE TABLE "annotations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"row_id" bigint NOT NULL,
	"ann_key" text NOT NULL,
	"label" integer NOT NULL,
	"x" double precision,
	"y" double precision,
	"w" double precision,
	"h" double precision,
	"area" double precision,
	"iscrowd" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "batch_items" (
	"batch_id" integer NOT NULL,
	"row_id" bigint NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "batch_items_batch_id_row_id_pk" PRIMARY KEY("batch_id","row_id")
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"run_id" integer,
	"source" jsonb,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "batches_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "data_rows" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"dataset_id" integer NOT NULL,
	"external_id" text NOT NULL,
	"labeled" boolean DEFAULT true NOT NULL,
	"image_url" text,
	"width" integer,
	"height" integer,
	"metadata" jsonb
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"class_names" jsonb NOT NULL,
	"source_class_ids" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "datasets_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "digests" (
	"id" serial PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"day" date NOT NULL,
	"status" text DEFAULT 'sending' NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"error" text,
	"message_ts" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "embeddings" (
	"run_id" integer NOT NULL,
	"row_id" bigint NOT NULL,
	"dim" integer NOT NULL,
	"vector" "bytea" NOT NULL,
	CONSTRAINT "embeddings_run_id_row_id_pk" PRIMARY KEY("run_id","row_id")
);
--> statement-breakpoint
CREATE TABLE "label_flags" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"row_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"ann_id" bigint,
	"pred_id" bigint,
	"given" integer,
	"suggested" integer,
	"score" double precision NOT NULL,
	"methods" jsonb NOT NULL,
	"evidence" text NOT NULL,
	"rank" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "matches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"row_id" bigint NOT NULL,
	"ann_id" bigint,
	"pred_id" bigint,
	"gt_label" integer,
	"pred_label" integer,
	"iou" double precision NOT NULL,
	"score" double precision
);
--> statement-breakpoint
CREATE TABLE "model_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"dataset_id" integer NOT NULL,
	"kind" text NOT NULL,
	"source" jsonb,
	"metrics" jsonb,
	"findings_options" jsonb,
	"analyzed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_runs_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "predictions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"row_id" bigint NOT NULL,
	"pred_key" integer NOT NULL,
	"label" integer NOT NULL,
	"score" double precision NOT NULL,
	"x" double precision,
	"y" double precision,
	"w" double precision,
	"h" double precision,
	"probs" real[]
);
--> statement-breakpoint
CREATE TABLE "projections" (
	"run_id" integer NOT NULL,
	"row_id" bigint NOT NULL,
	"x" real NOT NULL,
	"y" real NOT NULL,
	"fitted" boolean NOT NULL,
	CONSTRAINT "projections_run_id_row_id_pk" PRIMARY KEY("run_id","row_id")
);
--> statement-breakpoint
CREATE TABLE "reviews" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"row_id" bigint NOT NULL,
	"run_id" integer,
	"decision" text NOT NULL,
	"actor" text NOT NULL,
	"actor_name" text,
	"source" text NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "row_scores" (
	"run_id" integer NOT NULL,
	"row_id" bigint NOT NULL,
	"labeled" boolean NOT NULL,
	"iou" double precision,
	"confidence" double precision DEFAULT 0 NOT NULL,
	"min_conf" double precision,
	"max_conf" double precision,
	"label" integer,
	"predicted" integer,
	"num_gt" integer DEFAULT 0 NOT NULL,
	"num_pred" integer DEFAULT 0 NOT NULL,
	"label_quality" double precision,
	"neighbour_disagreement" double precision,
	"uncertainty_least" double precision,
	"uncertainty_margin" double precision,
	"uncertainty_entropy" double precision,
	CONSTRAINT "row_scores_run_id_row_id_pk" PRIMARY KEY("run_id","row_id")
);
--> statement-breakpoint
CREATE TABLE "slack_deliveries" (
	"key" text PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tags" (
	"row_id" bigint NOT NULL,
	"tag" text NOT NULL,
	"actor" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tags_row_id_tag_pk" PRIMARY KEY("row_id","tag")
);
--> statement-breakpoint
ALTER TABLE "annotations" ADD CONSTRAINT "annotations_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batch_items" ADD CONSTRAINT "batch_items_batch_id_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batch_items" ADD CONSTRAINT "batch_items_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batches" ADD CONSTRAINT "batches_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_rows" ADD CONSTRAINT "data_rows_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "embeddings" ADD CONSTRAINT "embeddings_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "embeddings" ADD CONSTRAINT "embeddings_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "label_flags" ADD CONSTRAINT "label_flags_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "label_flags" ADD CONSTRAINT "label_flags_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "matches" ADD CONSTRAINT "matches_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "matches" ADD CONSTRAINT "matches_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_runs" ADD CONSTRAINT "model_runs_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projections" ADD CONSTRAINT "projections_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projections" ADD CONSTRAINT "projections_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "row_scores" ADD CONSTRAINT "row_scores_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "row_scores" ADD CONSTRAINT "row_scores_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tags" ADD CONSTRAINT "tags_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "annotations_row_key_uq" ON "annotations" USING btree ("row_id","ann_key");--> statement-breakpoint
CREATE INDEX "batch_items_row_idx" ON "batch_items" USING btree ("row_id");--> statement-breakpoint
CREATE UNIQUE INDEX "data_rows_dataset_external_uq" ON "data_rows" USING btree ("dataset_id","external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "digests_channel_day_uq" ON "digests" USING btree ("channel","day");--> statement-breakpoint
CREATE INDEX "label_flags_run_rank_idx" ON "label_flags" USING btree ("run_id","rank");--> statement-breakpoint
CREATE INDEX "label_flags_row_idx" ON "label_flags" USING btree ("row_id");--> statement-breakpoint
CREATE INDEX "matches_run_row_idx" ON "matches" USING btree ("run_id","row_id");--> statement-breakpoint
CREATE INDEX "model_runs_dataset_idx" ON "model_runs" USING btree ("dataset_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "predictions_run_row_key_uq" ON "predictions" USING btree ("run_id","row_id","pred_key");--> statement-breakpoint
CREATE INDEX "reviews_row_idx" ON "reviews" USING btree ("row_id","id");--> statement-breakpoint
CREATE INDEX "row_scores_run_conf_idx" ON "row_scores" USING btree ("run_id","confidence","row_id");--> statement-breakpoint
CREATE INDEX "row_scores_run_iou_idx" ON "row_scores" USING btree ("run_id","iou");--> statement-breakpoint
CREATE INDEX "tags_tag_idx" ON "tags" USING btree ("tag");