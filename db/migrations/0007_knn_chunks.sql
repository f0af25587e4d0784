CREATE TABLE "knn_parts" (
	"pass_id" bigint NOT NULL,
	"part" integer NOT NULL,
	"run_id" integer NOT NULL,
	"k" integer NOT NULL,
	"rows" integer NOT NULL,
	"row_ids" "bytea" NOT NULL,
	"neighbours" "bytea" NOT NULL,
	"distances" "bytea" NOT NULL,
	CONSTRAINT "knn_parts_pass_id_part_pk" PRIMARY KEY("pass_id","part")
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "parent_id" bigint;--> statement-breakpoint
ALTER TABLE "knn_parts" ADD CONSTRAINT "knn_parts_pass_id_jobs_id_fk" FOREIGN KEY ("pass_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "knn_parts" ADD CONSTRAINT "knn_parts_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_parent_id_jobs_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "jobs_parent_idx" ON "jobs" USING btree ("parent_id");