CREATE TABLE "jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"run_id" integer,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"dedupe_key" text,
	"state" text DEFAULT 'queued' NOT NULL,
	"progress" real DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 5 NOT NULL,
	"run_after" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_by" text,
	"locked_until" timestamp with time zone,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "vector_index_parts" (
	"run_id" integer NOT NULL,
	"part" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "vector_index_parts_run_id_part_pk" PRIMARY KEY("run_id","part")
);
--> statement-breakpoint
CREATE TABLE "vector_indexes" (
	"run_id" integer PRIMARY KEY NOT NULL,
	"meta" jsonb NOT NULL,
	"parts" integer NOT NULL,
	"bytes" bigint NOT NULL,
	"built_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vector_index_parts" ADD CONSTRAINT "vector_index_parts_run_id_vector_indexes_run_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."vector_indexes"("run_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vector_indexes" ADD CONSTRAINT "vector_indexes_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "jobs_due_idx" ON "jobs" USING btree ("run_after") WHERE state in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "jobs_run_idx" ON "jobs" USING btree ("run_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_queued_uq" ON "jobs" USING btree ("dedupe_key") WHERE state = 'queued' and attempts = 0;--> statement-breakpoint
-- Runs with embeddings but no projection used to be found by the server at start; they become jobs.
INSERT INTO "jobs" ("kind", "run_id", "dedupe_key")
SELECT 'projection', r."id", 'projection:' || r."id" FROM "model_runs" r
WHERE EXISTS (SELECT 1 FROM "embeddings" e WHERE e."run_id" = r."id")
  AND NOT EXISTS (SELECT 1 FROM "projections" p WHERE p."run_id" = r."id");
